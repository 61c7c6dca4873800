"""`dockerlan web` on a real lab, in Debian's chromium (headless, driven by selenium
through Debian's chromedriver): the page loads with no request leaving the machine,
the matrix turns red exactly where the page cuts and green where it heals, a host
stopped from the page is shown stopped, logs and traces open, the page says when the
lab goes and shows it again when it comes back; and the API behind it refuses a
change without the token, from another site or by another name (with the same change,
let in, as the control). Set DOCKERLAN_SCREENSHOT=FILE to keep the page's picture."""

from __future__ import annotations

import http.client
import json
import os
import select
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import docker
import pytest
from labtools import CLI, TEST_PREFIX, dl, lab_objects
from prereq import need, need_tool

from dockerlan import Lab

LAB = f"{TEST_PREFIX}web"
HOSTS = {"h0": ["p0", "p1"], "h1": ["p2", "p3"], "h2": ["p4", "p5"]}
PROCS = [p for procs in HOSTS.values() for p in procs]
SEEN = 30.0
"""Seconds the page has to show what was done: a few rounds, on a slow machine."""


@pytest.fixture(scope="module")
def web_lab(client: docker.DockerClient) -> Iterator[str]:
    dl("up", "--name", LAB, "--hosts", "3", "--procs", "2", "--quiet")
    yield LAB
    dl("down", "--name", LAB)
    assert lab_objects(client, LAB) == {"containers": [], "networks": [], "volumes": []}


class Served:
    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url
        self.port = int(url.split(":")[2].split("/")[0])
        self.token = url.split("token=")[1].split("&")[0]

    def ask(
        self, method: str, path: str, headers: dict[str, str], body: object = None
    ) -> tuple[int, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        data = None if body is None else json.dumps(body).encode()
        connection.request(method, path, body=data, headers=headers)
        answer = connection.getresponse()
        found = answer.status, json.loads(answer.read() or b"null")
        connection.close()
        return found

    def ask_text(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        connection.request(method, path, headers=headers)
        answer = connection.getresponse()
        found = answer.status, answer.read().decode()
        connection.close()
        return found


@pytest.fixture(scope="module")
def served(web_lab: str) -> Iterator[Served]:
    process = subprocess.Popen(
        [CLI, "web", "--name", web_lab, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 30)
    assert ready, "dockerlan web printed no address within 30 s"
    line = process.stdout.readline().strip()
    assert line.startswith("dockerlan web: http://127.0.0.1:"), line
    yield Served(process, line.removeprefix("dockerlan web: "))
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0, process.stderr.read() if process.stderr else ""


@pytest.fixture(scope="module")
def browser(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium = need_tool("chromium")
    driver_path = need_tool("chromedriver", "chromium-driver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        need(False, "selenium is not installed (make setup installs it)")
    os.environ["SE_OFFLINE"] = "true"  # selenium's manager looks nothing up
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tmp_path_factory.mktemp("chromium")
    for flag in (
        "--headless=new",
        "--no-sandbox",  # root, in a machine that is itself the sandbox
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1250",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.get(served.url)
    yield driver
    driver.quit()


def until(
    check: Callable[[], Any],
    what: str,
    timeout: float = SEEN,
    detail: Callable[[], Any] | None = None,
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    seen = detail() if detail else None
    raise AssertionError(
        f"not within {timeout:.0f} s: {what}" + (f" (seen: {seen})" if seen else "")
    )


def cells(driver: Any) -> dict[tuple[str, str], str]:
    """The matrix as the page shows it: (src, dst) -> ok, fail, down, ..."""
    found = driver.execute_script(
        "return [...document.querySelectorAll('#matrix td')].map(c => [c.id, c.dataset.state])"
    )
    shown = {}
    for cell_id, state in found:
        _, src, dst = cell_id.split("-")
        shown[(src, dst)] = state
    return shown


def expected(
    red: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset(),
    down: frozenset[str] | set[str] = frozenset(),
) -> dict[tuple[str, str], str]:
    return {
        (s, d): "self"
        if s == d
        else "down"
        if s in down or d in down
        else "fail"
        if (s, d) in red
        else "ok"
        for s in PROCS
        for d in PROCS
    }


def shows(
    driver: Any, wanted: dict[tuple[str, str], str], what: str, timeout: float = SEEN
) -> None:
    """Wait until the page's matrix is `wanted`; fail naming the cells that differ."""

    def differences() -> dict[str, str]:
        seen = cells(driver)
        return {
            f"{s}->{d}": seen.get((s, d), "absent")
            for (s, d), v in wanted.items()
            if seen.get((s, d)) != v
        }

    until(lambda: cells(driver) == wanted, what, timeout, differences)


def click(driver: Any, element_id: str) -> None:
    """A real click on the element; again if the page redrew it meanwhile (its state
    changed between finding and clicking)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def clicked() -> bool:
        try:
            driver.find_element(By.ID, element_id).click()
        except StaleElementReferenceException:
            return False
        return True

    until(lambda: driver.find_elements(By.ID, element_id), f"#{element_id} on the page")
    until(clicked, f"a click on #{element_id}")


def text_of(driver: Any, element_id: str) -> str:
    return str(driver.execute_script(f"return document.getElementById('{element_id}').textContent"))


def done(driver: Any, what: str) -> None:
    """The page says the action it sent was done (the API answered)."""
    until(lambda: text_of(driver, "last").startswith(f"✓ {what}"), f"✓ {what} on the page", 120)


def between(a: str, b: str) -> set[tuple[str, str]]:
    return {(s, d) for s in HOSTS[a] for d in HOSTS[b]} | {
        (d, s) for s in HOSTS[a] for d in HOSTS[b]
    }


# ---- the API's refusals, and the same change let in ------------------------------------


def test_a_change_without_the_token_from_another_site_or_by_another_name_is_refused(
    served: Served, web_lab: str
) -> None:
    lab = Lab.attach(web_lab)
    change = {"verb": "impair", "target": "p0", "to": "p2", "loss": "100%"}
    path = f"/api/action?lab={web_lab}"
    json_type = {"Content-Type": "application/json"}
    token = {"X-Dockerlan-Token": served.token}
    own = {"Origin": f"http://127.0.0.1:{served.port}"}
    refused = [
        served.ask("POST", path, {**json_type, **own}, change),
        served.ask("POST", path, {**json_type, **own, "X-Dockerlan-Token": "guess"}, change),
        served.ask("POST", f"{path}&token={served.token}", {**json_type, **own}, change),
        served.ask("POST", path, {**json_type, **token, "Origin": "http://evil.example"}, change),
        served.ask(
            "POST", path, {**json_type, **token, "Host": f"evil.example:{served.port}"}, change
        ),
        served.ask("POST", path, {**token, "Content-Type": "text/plain"}, change),
    ]
    assert [status for status, _ in refused] == [403] * 6, refused
    assert "no token" in refused[0][1]["error"] and "wrong token" in refused[1][1]["error"]
    assert served.ask("GET", "/api/labs", {"Host": f"rebound.example:{served.port}"})[0] == 403
    assert lab.impairments() == [], "nothing refused reached the lab"
    status, answer = served.ask("POST", path, {**json_type, **own, **token}, change)
    assert status == 200 and answer["did"] == "impair p0 to p2 loss 100%", answer
    assert [str(i) for i in lab.impairments()] == ["p0 to p2 loss 100%"], "the control: done"
    ping = ("ping", "-c2", "-W2", lab.address("p2"))
    assert lab.exec("p0", *ping).exit_code != 0, "the page's impairment is the verb's: real loss"
    status, answer = served.ask(
        "POST", path, {**json_type, **token}, {"verb": "clear", "target": "p0"}
    )
    assert status == 200 and lab.impairments() == []
    assert lab.exec("p0", *ping).exit_code == 0, "and cleared, p2 answers again"
    bad = served.ask("POST", path, {**json_type, **token}, {"verb": "stop", "target": "h9"})
    assert bad[0] == 400 and "h9" in bad[1]["error"], "a bad name is one line"


def test_without_a_name_it_serves_every_lab(web_lab: str) -> None:
    process = subprocess.Popen(
        [CLI, "web", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        served = Served(process, process.stdout.readline().strip().split(": ", 1)[1])
        token = {"X-Dockerlan-Token": served.token}
        status, found = served.ask("GET", "/api/labs", token)
        assert status == 200 and found["only"] is None
        assert web_lab in found["labs"], found
        status, svg = served.ask_text("GET", f"/api/drawing?lab={web_lab}", token)
        assert status == 200 and 'id="h2"' in svg, "its drawing"
        missing = served.ask("GET", "/api/drawing?lab=dlt-no-such-lab", token)
        assert missing[0] == 409 and "no lab named 'dlt-no-such-lab'" in missing[1]["error"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


# ---- the page in the browser -----------------------------------------------------------


def test_the_page_loads_with_nothing_from_elsewhere_and_the_matrix_all_green(
    browser: Any, served: Served
) -> None:
    shows(browser, expected(), "every pair green")
    assert text_of(browser, "summary") == "running"
    requests = set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.add(message["params"]["request"]["url"])
    assert requests, "the control: the page's own requests are seen"
    origin = f"http://127.0.0.1:{served.port}/"
    network = {u for u in requests if u.split(":")[0] in ("http", "https", "ws", "wss", "ftp")}
    assert {url for url in network if not url.startswith(origin)} == set()
    assert {u.split(":")[0] for u in requests - network} <= {"chrome", "data", "about"}, (
        "what is not the network is the browser's own pages"
    )
    assert {url.removeprefix(origin).split("?")[0] for url in network} >= {
        "",
        "app.js",
        "style.css",
        "api/labs",
        "api/stream",
        "api/drawing",
    }


def test_cutting_h0_from_h2_turns_exactly_their_pairs_red_and_heal_green(
    browser: Any, web_lab: str
) -> None:
    shows(browser, expected(), "every pair green first")
    click(browser, "side-a-h0")
    click(browser, "side-b-h2")
    assert text_of(browser, "cut") == "cut h0 / h2"
    click(browser, "cut")
    done(browser, "cut 1: h0 / h2")
    assert [str(c) for c in Lab.attach(web_lab).cuts()] == ["h0 / h2"], "the verb's own cut"
    shows(browser, expected(red=between("h0", "h2")), "exactly h0's and h2's pairs red")
    until(lambda: "cut 1: h0 / h2" in text_of(browser, "faults"), "the cut in force, listed")
    until(lambda: "stopped answering" in text_of(browser, "events"), "the event log tells it")
    if os.environ.get("DOCKERLAN_SCREENSHOT"):
        browser.save_screenshot(os.environ["DOCKERLAN_SCREENSHOT"])
    click(browser, "undo-heal-1")
    done(browser, "healed cut 1")
    shows(browser, expected(), "every pair green again")
    assert Lab.attach(web_lab).cuts() == []


def test_a_host_stopped_from_the_page_is_shown_stopped_and_starts_again(
    browser: Any, web_lab: str
) -> None:
    click(browser, "stop-h1")
    done(browser, "stop h1")
    until(
        lambda: (
            browser.execute_script(
                "return document.querySelector('#drawing g[id=\"h1\"]').dataset.state"
            )
            == "exited"
        ),
        "h1 drawn as stopped",
    )
    row = browser.execute_script("return document.getElementById('host-h1').dataset.state")
    assert row == "exited"
    shows(browser, expected(down={"p2", "p3"}), "h1's procs' pairs down, the rest green")
    until(lambda: "h1 stopped" in text_of(browser, "faults"), "h1 listed as stopped")
    click(browser, "undo-start-h1")
    done(browser, "start h1")
    shows(browser, expected(), "every pair green after the start")
    assert Lab.attach(web_lab).status().running


def test_logs_and_a_trace_open_in_the_panel(browser: Any) -> None:
    click(browser, "logs-h0")
    until(
        lambda: (
            "h0" in text_of(browser, "panel-body")
            and "reading" not in text_of(browser, "panel-body")
        ),
        "h0's logs",
    )
    assert text_of(browser, "panel-title").startswith("Logs of h0")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "trace-from")).select_by_value("p0")
    Select(browser.find_element(By.ID, "trace-to")).select_by_value("p5")
    click(browser, "trace")
    until(lambda: "✓" in text_of(browser, "panel-body"), "the trace's hops")
    assert "✕" not in text_of(browser, "panel-body"), text_of(browser, "panel-body")
    assert text_of(browser, "panel-title") == "Trace from p0 to p5"


def test_the_page_says_when_the_lab_goes_and_shows_it_when_it_comes_back(
    browser: Any, web_lab: str
) -> None:
    dl("down", "--name", web_lab)
    until(
        lambda: (
            browser.execute_script("return !document.getElementById('banner').hidden")
            and "is not there" in text_of(browser, "banner")
        ),
        "the page says the lab is gone",
    )
    assert cells(browser) == {}, "and shows no matrix it cannot see"
    dl("up", "--name", web_lab, "--hosts", "3", "--procs", "2", "--quiet")
    shows(browser, expected(), "every pair green once it is back", 60)
    assert browser.execute_script("return document.getElementById('banner').hidden"), text_of(
        browser, "banner"
    )
