"""Impairments as data: the values people type, and the lines each host sets."""

from __future__ import annotations

import re
from collections.abc import Callable
from ipaddress import IPv4Network

import pytest

from dockerlan.errors import PlanError
from dockerlan.plan import impair
from dockerlan.plan.impair import Impairment
from dockerlan.plan.layout import plan_lab
from dockerlan.plan.spec import LabSpec, Mode

WIDE = IPv4Network("11.0.0.0/8")
PLAN = plan_lab(LabSpec(name="t", hosts=2, procs=2, internet_cidr=WIDE))


@pytest.mark.parametrize(
    "text, kbit",
    [("500kbit", 500), ("10mbit", 10_000), ("1gbit", 1_000_000), ("2Mbit", 2000), ("64000bit", 64)],
)
def test_rates_read_as_tc_writes_them(text: str, kbit: int) -> None:
    assert impair.parse_rate(text) == kbit


def test_times_and_losses_read_with_their_units() -> None:
    assert impair.parse_time("50ms", "--delay") == 50_000
    assert impair.parse_time("1.5s", "--delay") == 1_500_000
    assert impair.parse_time("500us", "--delay") == 500
    assert impair.parse_loss("2%") == 20_000 and impair.parse_loss("0.5%") == 5_000
    with pytest.raises(PlanError, match="not a time"):
        impair.parse_time("soon", "--delay")


@pytest.mark.parametrize(
    "parse, text, message, hint",
    [
        # tc's bytes: 10mbps is 80 megabits to tc, 10 to many people
        (impair.parse_rate, "10mbps", "'10mbps' is ambiguous: tc reads mbps as", "write 80mbit"),
        (impair.parse_rate, "1kbps", "ambiguous", "write 8kbit (tc's meaning) or 1kbit"),
        # a bare number is bits per second to tc; dockerlan once read it as kbit
        (impair.parse_rate, "500", "'500' has no unit", "write 500kbit"),
        (impair.parse_rate, "2m", "'2m' has no unit", "write 2mbit"),
        # a bare time is microseconds to tc, milliseconds to people
        (lambda t: impair.parse_time(t, "--delay"), "20", "'20' has no unit", "write 20ms"),
        # a bare loss: 0.02 could be a fraction (2%) or a percentage (0.02%)
        (impair.parse_loss, "2", "'2' has no %", "write 2% for 2 in a hundred"),
        (impair.parse_loss, "0.02", "'0.02' has no %", "write 0.02%"),
        (impair.parse_loss, "150%", "not between 0% and 100%", None),
    ],
)
def test_a_value_without_its_unit_or_in_tcs_bytes_is_refused_with_the_spelling_to_use(
    parse: Callable[[str], int], text: str, message: str, hint: str | None
) -> None:
    with pytest.raises(PlanError, match=re.escape(message)) as caught:
        parse(text)
    if hint is not None:
        assert caught.value.hint is not None and hint in caught.value.hint


def test_the_apis_numbers_are_refused_not_read_as_a_tiny_percentage() -> None:
    """loss=0.02 meant 2% to its writer and 0.02% to dockerlan: now it is refused."""
    with pytest.raises(PlanError, match=r"^loss 0.02 is a number"):
        impair.asked("p0", loss=0.02, spelt="")  # type: ignore[arg-type]
    assert impair.asked("p0", loss="2%") == Impairment("p0", loss_ppm=20_000), "the control"


def test_what_needs_no_lab_is_checked_with_no_lab() -> None:
    with pytest.raises(PlanError, match="nothing to impair"):
        impair.asked("p0")
    with pytest.raises(PlanError, match="--jitter varies a delay"):
        impair.asked("p0", jitter="5ms")
    with pytest.raises(PlanError, match="the target itself"):
        impair.asked("p0", to="p0", rate="1mbit")


def test_each_host_sets_only_its_own_targets_lines() -> None:
    standing = [
        Impairment("p0", rate_kbit=2000),
        Impairment("h1", to="p1", loss_ppm=200_000),
    ]
    lines = impair.lines(PLAN, standing)
    assert lines["h0"] == "p0 10 2000 - - - - *\n"
    assert lines["h1"] == "- 11 - - - 200000 - 10.0.0.3\n"


def test_toward_a_host_means_the_host_and_its_procs_and_in_overlay_a_procs_tunnel() -> None:
    lines = impair.lines(PLAN, [Impairment("p0", to="h1", rate_kbit=100)])
    assert lines["h0"] == "p0 10 100 - - - - 11.0.0.3 10.0.1.2 10.0.1.3\n"
    overlay = plan_lab(LabSpec(name="t", hosts=2, procs=1, internet_cidr=WIDE, mode=Mode.OVERLAY))
    lines = impair.lines(overlay, [Impairment("p0", to="p1", rate_kbit=100)])
    assert lines["h0"] == "p0 10 100 - - - - 10.0.1.2 11.0.0.3\n"


def test_a_new_impairment_replaces_the_one_for_the_same_target_and_destination() -> None:
    first = [Impairment("p0", rate_kbit=1), Impairment("p0", to="p1", rate_kbit=2)]
    after = impair.replaced(first, Impairment("p0", rate_kbit=3))
    assert after == [Impairment("p0", to="p1", rate_kbit=2), Impairment("p0", rate_kbit=3)]
    assert impair.from_json(impair.to_json(after)) == after


def test_nothing_asked_jitter_without_delay_or_itself_as_destination_is_refused() -> None:
    with pytest.raises(PlanError, match="nothing to impair"):
        impair.check(PLAN, Impairment("p0"))
    with pytest.raises(PlanError, match="--jitter varies a delay"):
        impair.check(PLAN, Impairment("p0", jitter_us=5))
    with pytest.raises(PlanError, match="--to p0 is the target itself"):
        impair.check(PLAN, Impairment("p0", to="p0", rate_kbit=10))


def test_the_whole_internet_is_every_hosts_own_link() -> None:
    lines = impair.lines(PLAN, [Impairment(impair.INTERNET, delay_us=20_000)])
    assert lines == {"h0": "- 10 - 20000 - - - *\n", "h1": "- 10 - 20000 - - - *\n"}
    with pytest.raises(PlanError, match="the whole internet has no --to"):
        impair.check(PLAN, Impairment(impair.INTERNET, to="h1", rate_kbit=10))


def test_a_lab_file_lists_impairments_per_host_pair_proc_or_internet(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dockerlan.plan import labfile

    lab = tmp_path / "lab.yml"
    lab.write_text(
        "hosts: 2\nimpair:\n  - {target: h0, to: h1, rate: 1mbit}\n"
        "  - {target: internet, loss: 2%}\n"
    )
    spec = labfile.read(lab).new_spec()
    assert spec.impairments == (
        Impairment("h0", to="h1", rate_kbit=1000),
        Impairment("internet", loss_ppm=20_000),
    )
    assert LabSpec.from_json(spec.to_json()) == spec
    lab.write_text("impair:\n  - {target: p0}\n")
    with pytest.raises(PlanError, match=r"lab.yml:2: impair\[0\]: expected rate, delay, jitter"):
        labfile.read(lab)


def test_a_duplicating_line_lists_every_address_but_the_senders_own() -> None:
    """TEE sends each copy to its next hop, which the host finds per address."""
    plan = plan_lab(LabSpec(name="t", hosts=2, procs=1, internet_cidr=IPv4Network("11.0.0.0/8")))
    duplicate = impair.asked("p0", duplicate="50%")
    assert duplicate.duplicate_ppm == 500_000 and str(duplicate) == "p0 duplicate 50%"
    line = impair.lines(plan, [duplicate])["h0"].split()
    assert line[:8] == ["p0", "10", "-", "-", "-", "-", "500000", "11.0.0.2"]
    assert sorted(line[7:]) == sorted(["11.0.0.2", "11.0.0.3", "10.0.1.2"]), "not p0's own"
    toward = impair.lines(plan, [impair.asked("p0", to="p1", duplicate="5%")])["h0"]
    assert toward == "p0 10 - - - - 50000 10.0.1.2\n"
