"""Scale limits are found before building, with the setting that fixes them."""

from __future__ import annotations

from dockerlan.plan.preflight import check, neighbours_needed, neighbours_without_pinning
from dockerlan.plan.spec import LabSpec, Mode

ROOMY = {"neigh_limit": 1 << 20, "pid_max": 1 << 22, "available_mib": 1 << 20}


def test_neighbour_estimate_matches_the_design_brief_for_16x16() -> None:
    # The brief measured "about 4,600 entries" for a routed 16x16 matrix.
    assert 4400 <= neighbours_without_pinning(LabSpec(hosts=16, procs=16)) <= 4800


def test_pinned_routed_labs_fit_the_default_limit_up_to_16x16() -> None:
    assert neighbours_needed(LabSpec(hosts=16, procs=16)) <= 1024 // 2


def test_overlay_needs_an_entry_per_pair() -> None:
    routed = neighbours_needed(LabSpec(hosts=4, procs=4))
    overlay = neighbours_needed(LabSpec(hosts=4, procs=4, mode=Mode.OVERLAY))
    assert overlay >= 16 * 15 > routed


def test_a_small_lab_on_a_roomy_machine_has_no_findings() -> None:
    assert check(LabSpec(hosts=3, procs=4), **ROOMY) == []


def test_a_16x16_overlay_against_the_default_neighbour_limit_says_how_to_raise_it() -> None:
    spec = LabSpec(hosts=16, procs=16, mode=Mode.OVERLAY)
    findings = check(spec, **{**ROOMY, "neigh_limit": 1024})
    assert len(findings) == 1 and not findings[0].fatal
    assert "1024" in findings[0].problem
    assert "net.ipv4.neigh.default.gc_thresh3=" in findings[0].fix
    limit = int(findings[0].fix.rsplit("=", 1)[1])
    assert limit >= neighbours_needed(spec)


def test_a_routed_16x16_fits_the_default_neighbour_limit() -> None:
    assert check(LabSpec(hosts=16, procs=16), **{**ROOMY, "neigh_limit": 1024}) == []


def test_not_enough_memory_is_fatal() -> None:
    findings = check(LabSpec(hosts=16, procs=16), **{**ROOMY, "available_mib": 500})
    assert [f.fatal for f in findings] == [True]


def test_a_low_pid_max_is_reported() -> None:
    findings = check(LabSpec(hosts=16, procs=16), **{**ROOMY, "pid_max": 4096})
    assert any("pid_max" in f.fix for f in findings)


def test_too_few_free_file_handles_are_fatal_with_the_sysctl() -> None:
    spec = LabSpec(hosts=16, procs=16)
    findings = check(spec, **{**ROOMY, "free_files": 5000})
    assert [f.fatal for f in findings] == [True]
    assert "fs.file-max" in findings[0].problem
    raised = int(findings[0].fix.rsplit("=", 1)[1])
    assert check(spec, **{**ROOMY, "free_files": raised}) == []
