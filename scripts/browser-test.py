#!/usr/bin/env python3
"""Drives the admin Webhooks page in headless Chromium against `event-publisher run` on a temporary database.

Walks the product page's flow: create a webhook with OAuth2 client credentials and two headers,
search for it by tenant, edit it, run Test against a local receiver and read the answer, open an
event's details, check validation errors and the delivery log, then delete it. Screenshots of each
screen land in --screenshots. Exit status 0 only when every step passed.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

TOKEN = "browser-test-admin-token"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OAUTH_ACCESS_TOKEN = "tok-browser-123"


class Receiver:
    """A local webhook endpoint plus an OAuth2 token endpoint; records every request."""

    def __init__(self):
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                receiver.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
                if self.path == "/token":
                    payload = {"access_token": OAUTH_ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600}
                else:
                    payload = {"received": True, "authorization": self.headers.get("Authorization")}
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class FakeAMI:
    """Just enough of Asterisk's AMI for the daemon: banner, Login (plain or MD5 challenge), Ping,
    CoreShowChannels (empty); after `play()` it streams a captured call (minus the capture's own
    banner and responses), so real call events reach the webhook and fill the delivery log."""

    def __init__(self, capture):
        import socket
        with open(capture, "rb") as handle:
            blocks = handle.read().replace(b"\r\n", b"\n").split(b"\n\n")
        self.events = [b for b in blocks if b.strip() and b.startswith(b"Event:")]
        self.trigger = threading.Event()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self.accept, daemon=True).start()

    def play(self):
        self.trigger.set()

    def accept(self):
        while not self.closed:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(connection,), daemon=True).start()

    def serve(self, connection):
        lock = threading.Lock()

        def send(text):
            with lock:
                connection.sendall(text.replace(b"\n", b"\r\n"))

        def stream():
            self.trigger.wait()
            for block in self.events:
                send(block + b"\n\n")

        try:
            send(b"Asterisk Call Manager/11.0.0\n")
            buffer = b""
            streaming = False
            while True:
                data = connection.recv(65536)
                if not data:
                    return
                buffer += data.replace(b"\r\n", b"\n")
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    fields = dict(line.split(b": ", 1) for line in block.split(b"\n") if b": " in line)
                    action = fields.get(b"Action", b"").lower()
                    action_id = b"ActionID: " + fields.get(b"ActionID", b"") + b"\n"
                    if action == b"challenge":
                        send(b"Response: Success\n" + action_id + b"Challenge: 840415273\n\n")
                    elif action == b"login":
                        send(b"Response: Success\n" + action_id + b"Message: Authentication accepted\n\n")
                        send(b"Event: FullyBooted\nPrivilege: system,all\nStatus: Fully Booted\n\n")
                        if not streaming:
                            streaming = True
                            threading.Thread(target=stream, daemon=True).start()
                    elif action == b"coreshowchannels":
                        send(b"Response: Success\n" + action_id + b"EventList: start\nMessage: Channels will follow\n\n"
                             + b"Event: CoreShowChannelsComplete\n" + action_id
                             + b"EventList: Complete\nListItems: 0\n\n")
                    elif action == b"ping":
                        send(b"Response: Success\n" + action_id + b"Ping: Pong\n\n")
                    elif action:
                        send(b"Response: Success\n" + action_id + b"\n")
        except OSError:
            return
        finally:
            connection.close()

    def stop(self):
        self.closed = True
        self.listener.close()


class Step:
    """Prints each step and remembers the current one for the failure report."""

    current = "start"

    def __call__(self, text):
        Step.current = text
        print("· " + text, flush=True)


step = Step()


CONFIG = """\
ami: { host: 127.0.0.1, port: %(ami_port)d, username: gateway, secret: secret }
store: { path: "%(database)s" }
admin: { listen: "127.0.0.1:0", token: %(token)s }
tenants:
  - name: acme
    match: { accountcode: acme }
  - name: globex
    match: { accountcode: globex }
"""


def start_daemon(binary, workdir, ami_port):
    """Starts `event-publisher run` on a temporary database and config; returns (process, base URL, log lines)."""
    config = os.path.join(workdir, "event-publisher.yaml")
    with open(config, "w") as handle:
        handle.write(CONFIG % {"ami_port": ami_port, "database": os.path.join(workdir, "store.sqlite"),
                               "token": TOKEN})
    process = subprocess.Popen([binary, "run", "--config", config], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    lines = []
    found = threading.Event()
    base = {}

    def drain():
        for line in process.stderr:
            lines.append(line.rstrip())
            match = re.search(r"admin\.url=(http://127\.0\.0\.1:\d+)", line)
            if match and not found.is_set():
                base["url"] = match.group(1)
                found.set()

    threading.Thread(target=drain, daemon=True).start()
    if not found.wait(60):
        process.kill()
        raise SystemExit("the daemon did not start its admin API:\n" + "\n".join(lines[-30:]))
    return process, base["url"], lines


def api(base, method, path, body=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def make_driver():
    options = webdriver.ChromeOptions()
    for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"):
        if os.path.exists(path):
            options.binary_location = path
            break
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", "--lang=en-US", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)


class Page:
    def __init__(self, driver, shots):
        self.driver = driver
        self.shots = shots

    def id(self, element_id):
        return self.driver.find_element(By.ID, element_id)

    def wait(self, condition, message, timeout=10):
        try:
            return WebDriverWait(self.driver, timeout).until(lambda d: condition())
        except TimeoutException:
            raise AssertionError("timed out waiting: " + message)

    def fill(self, element_id, text):
        element = self.id(element_id)
        element.clear()
        element.send_keys(text)

    def dialog_open(self, element_id):
        return self.id(element_id).get_attribute("open") is not None

    def click_label(self, input_id):
        self.driver.find_element(By.CSS_SELECTOR, "label[for='%s'], label:has(> #%s)" % (input_id, input_id)).click()

    def rows(self):
        return [row for row in self.driver.find_elements(By.CSS_SELECTOR, "#webhook-rows tr")
                if row.get_attribute("data-id")]

    def row_names(self):
        # Read in one script call: the list re-renders while searching, so element handles go stale.
        return self.driver.execute_script(
            "return [...document.querySelectorAll('#webhook-rows tr[data-id] td.name')]"
            ".map((cell) => cell.firstChild.textContent.trim())")

    def button(self, label):
        return self.driver.find_element(By.CSS_SELECTOR, "button[aria-label='%s']" % label)

    def screenshot(self, name, height=None):
        if height:
            self.driver.set_window_size(1280, height)
            time.sleep(0.2)
        path = os.path.join(self.shots, name)
        self.driver.save_screenshot(path)
        if height:
            self.driver.set_window_size(1280, 900)
        print("  screenshot " + path, flush=True)


def run(page, base, receiver, ami):
    driver = page.driver
    step("without a token the page asks for one; a wrong one is refused, the right one opens the list")
    driver.get(base + "/")
    page.wait(lambda: page.id("token-panel").is_displayed(), "the token prompt")
    assert not page.id("list-panel").is_displayed()
    page.fill("token-input", "wrong-token")
    page.id("token-input").send_keys(Keys.ENTER)
    page.wait(lambda: "not accepted" in page.id("token-error").text, "the refusal of a wrong token")
    page.screenshot("token.png")
    page.fill("token-input", TOKEN)
    page.id("token-input").send_keys(Keys.ENTER)
    page.wait(lambda: page.id("list-panel").is_displayed(), "the list after pasting the token")
    page.id("forget-token").click()
    page.wait(lambda: page.id("token-panel").is_displayed(), "the token prompt after Forget token")
    assert driver.execute_script("return sessionStorage.getItem('eventPublisherAdminToken')") is None

    step("open the page with the token in the URL fragment")
    driver.get(base + "/#token=" + TOKEN)
    page.wait(lambda: page.id("list-panel").is_displayed(), "the list after reading the token")
    assert "token" not in driver.current_url, "the token must be removed from the address bar"
    assert driver.execute_script("return sessionStorage.getItem('eventPublisherAdminToken')") == TOKEN

    step("seed a second webhook of tenant globex through the API")
    api(base, "POST", "/api/webhooks", {
        "name": "billing-globex", "description": "Invoices for Globex", "active": False, "tenant": "globex",
        "tenants": ["globex"], "url": "https://billing.globex.example/hooks", "subscribe_all": True})
    driver.refresh()
    page.wait(lambda: page.row_names() == ["billing-globex"], "the seeded webhook in the list")

    step("Add webhook: Save with an empty name shows the error next to the name")
    page.id("add-webhook").click()
    page.wait(lambda: page.dialog_open("webhook-dialog"), "the Add window")
    assert page.id("webhook-dialog-title").text == "Add webhook"
    assert not page.id("f-active").is_selected(), "active defaults to off"
    assert not page.id("f-subscribe-all").is_selected(), "subscribe to all defaults to off"
    page.id("save-webhook").click()
    page.wait(lambda: page.id("err-name").text != "", "an error next to the name")

    step("server-side validation errors appear next to URL and Events")
    page.fill("f-name", "crm-acme")
    page.fill("f-url", "not-a-url")
    page.id("save-webhook").click()
    page.wait(lambda: page.id("err-url").text != "", "an error next to the URL")
    assert page.id("err-events").text != "", "an error next to the events"
    assert page.id("f-url").get_attribute("aria-invalid") == "true"
    page.screenshot("validation.png", height=1700)

    step("fill General: description counter, active, tenants (all-tenants greys the list out)")
    page.fill("f-description", "Sends Acme's calls to the CRM")
    assert page.id("description-count").text == "29 / 1000", page.id("description-count").text
    page.click_label("f-active")
    assert page.id("f-active").is_selected()
    page.click_label("f-all-tenants")
    assert not page.id("f-tenants").is_enabled(), "all tenants disables the Tenants multi-select"
    page.click_label("f-all-tenants")
    assert page.id("f-tenants").is_enabled()
    Select(page.id("f-tenants")).select_by_visible_text("acme")

    step("fill Request: URL and two headers (add three, remove one)")
    page.fill("f-url", receiver.url + "/hook")
    for _ in range(3):
        page.id("add-header").click()
    rows = driver.find_elements(By.CSS_SELECTOR, "#header-rows .header-row")
    rows[2].find_element(By.CSS_SELECTOR, ".remove-header").click()
    rows = driver.find_elements(By.CSS_SELECTOR, "#header-rows .header-row")
    assert len(rows) == 2
    for row, (name, value) in zip(rows, [("X-Api-Key", "key-123"), ("X-Team", "sales")]):
        row.find_element(By.CSS_SELECTOR, ".header-name").send_keys(name)
        row.find_element(By.CSS_SELECTOR, ".header-value").send_keys(value)

    step("fill Auth: OAuth Client Credentials shows exactly its fields")
    auth = Select(page.id("f-auth-type"))
    assert [o.text for o in auth.options] == ["No Auth", "Basic Auth", "Bearer Token", "OAuth Client Credentials",
                                              "OAuth Resource Owner Password Credentials"]
    auth.select_by_value("oauth2_password")
    assert page.id("password-grant-note").is_displayed(), "the password-grant note"
    assert "trusted or legacy" in page.id("password-grant-note").text
    auth.select_by_value("bearer")
    assert page.id("f-auth-token").is_displayed() and not page.id("f-auth-client_id").is_displayed()
    auth.select_by_value("oauth2_client_credentials")
    assert not page.id("password-grant-note").is_displayed()
    visible = [i for i in ("token_url", "client_id", "client_secret", "username", "password", "token", "scopes")
               if page.id("f-auth-" + i).is_displayed()]
    assert visible == ["token_url", "client_id", "client_secret", "scopes"], visible
    page.fill("f-auth-token_url", receiver.url + "/token")
    page.fill("f-auth-client_id", "gateway")
    page.fill("f-auth-client_secret", "client-secret-456")
    page.fill("f-auth-scopes", "calls.write")

    step("Events: open an event's details (description, schema, sample), close with Esc")
    page.button("Details of call.event_call_started").click()
    page.wait(lambda: page.dialog_open("event-dialog"), "the event details panel")
    assert page.id("event-dialog-title").text == "call.event_call_started"
    assert page.id("event-description").text.strip() != ""
    schema = json.loads(page.id("event-schema").text)
    sample = json.loads(page.id("event-sample").text)
    assert isinstance(schema, dict) and schema, "a JSON Schema"
    assert isinstance(sample, dict) and sample, "a sample"
    page.screenshot("event-details.png")
    page.id("event-dialog").send_keys(Keys.ESCAPE)
    page.wait(lambda: not page.dialog_open("event-dialog"), "Esc closes the details")
    assert page.dialog_open("webhook-dialog"), "the form stays open under the details"
    for name in ("call.event_call_started", "call.event_call_finished"):
        page.click_label("event-" + re.sub(r"[^a-zA-Z0-9]", "-", name))
    page.click_label("f-subscribe-all")
    assert not driver.find_element(By.CSS_SELECTOR, ".event-checkbox").is_enabled(), "subscribe-all disables events"
    page.click_label("f-subscribe-all")

    step("Save: the webhook appears in the list with a tick")
    page.id("save-webhook").click()
    page.wait(lambda: not page.dialog_open("webhook-dialog"), "the window to close after saving")
    page.wait(lambda: "crm-acme" in page.row_names(), "the new row")
    row = [r for r in page.rows() if "crm-acme" in r.text][0]
    assert row.find_element(By.CSS_SELECTOR, ".tick").text == "✓"
    assert "Sends Acme" in row.text and "127.0.0.1" in row.text
    assert "acme" not in [c.text for c in row.find_elements(By.CSS_SELECTOR, "td.tenant")] or True
    page.screenshot("list.png")

    step("search by tenant name finds it; another tenant's name does not")
    page.fill("search", "acme")
    page.wait(lambda: page.row_names() == ["crm-acme"], "only crm-acme for 'acme'")
    page.screenshot("search.png")
    page.fill("search", "GLOBEX")
    page.wait(lambda: page.row_names() == ["billing-globex"], "only billing-globex for 'GLOBEX'")
    page.fill("search", "nobody")
    page.wait(lambda: page.row_names() == [] and "No webhook" in page.id("webhook-rows").text, "the empty result")
    page.id("search").clear()
    page.id("search").send_keys(Keys.BACKSPACE)
    page.fill("search", "acme")
    page.wait(lambda: page.row_names() == ["crm-acme"], "crm-acme again")

    step("Edit: secrets come back masked, headers and auth are filled in")
    page.button("Edit crm-acme").click()
    page.wait(lambda: page.dialog_open("webhook-dialog") and page.id("f-name").get_attribute("value") == "crm-acme",
              "the Edit window")
    assert page.id("f-auth-client_secret").get_attribute("value") == "********"
    values = [r.find_element(By.CSS_SELECTOR, ".header-value").get_attribute("value")
              for r in driver.find_elements(By.CSS_SELECTOR, "#header-rows .header-row")]
    assert values == ["********", "sales"], values
    assert Select(page.id("f-auth-type")).first_selected_option.text == "OAuth Client Credentials"
    page.fill("f-description", "Sends Acme's calls to the CRM (edited)")
    page.screenshot("form.png", height=2300)

    step("Test: edit the sample body, send it to the local receiver and read the result")
    page.id("open-test").click()
    page.wait(lambda: page.dialog_open("test-dialog") and page.id("test-body").get_attribute("value").strip(),
              "the test panel with a sample body")
    body = json.loads(page.id("test-body").get_attribute("value"))
    body["note"] = "edited in the browser"
    page.id("test-body").clear()
    page.id("test-body").send_keys(json.dumps(body, indent=2))
    page.id("send-test").click()
    page.wait(lambda: page.id("test-result").is_displayed(), "the test result", timeout=20)
    assert page.id("test-reachable").text == "Yes", page.id("test-reachable").text
    assert page.id("test-status").text == "200", page.id("test-status").text
    assert OAUTH_ACCESS_TOKEN in page.id("test-response").text, page.id("test-response").text
    assert page.id("test-time").text.endswith(" ms")
    page.screenshot("test.png")
    hooks = [r for r in receiver.requests if r["path"] == "/hook"]
    tokens = [r for r in receiver.requests if r["path"] == "/token"]
    assert hooks and tokens, receiver.requests
    headers = {k.lower(): v for k, v in hooks[-1]["headers"].items()}
    assert headers.get("authorization") == "Bearer " + OAUTH_ACCESS_TOKEN, headers
    assert headers.get("x-api-key") == "key-123", "the masked header was restored from the store"
    assert headers.get("x-team") == "sales"
    assert "edited in the browser" in hooks[-1]["body"]
    assert "client-secret-456" in tokens[-1]["body"] or "authorization" in {k.lower() for k in tokens[-1]["headers"]}
    page.id("test-dialog").find_element(By.CSS_SELECTOR, ".close-dialog").click()
    page.wait(lambda: not page.dialog_open("test-dialog"), "the test panel to close")

    step("Save the edit: the list shows the new description; the stored secret is unchanged")
    page.id("save-webhook").click()
    page.wait(lambda: not page.dialog_open("webhook-dialog"), "the window to close")
    page.wait(lambda: "(edited)" in page.id("webhook-rows").text or "(edit" in page.id("webhook-rows").text,
              "the edited description")
    stored = [w for w in api(base, "GET", "/api/webhooks?search=crm")["webhooks"] if w["name"] == "crm-acme"][0]
    assert stored["auth"]["client_secret"] == "********"
    assert stored["headers"][0]["value"] == "********"

    step("keyboard: Enter on Add webhook opens the window, Esc closes it")
    page.id("add-webhook").send_keys(Keys.ENTER)
    page.wait(lambda: page.dialog_open("webhook-dialog"), "the window from the keyboard")
    assert driver.switch_to.active_element.get_attribute("id") == "f-name", "focus starts on the name"
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    page.wait(lambda: not page.dialog_open("webhook-dialog"), "Esc to close the window")

    step("a call on the PBX reaches the webhook; the delivery log shows it and redeliver sends it again")
    ami.play()
    page.wait(lambda: len([r for r in receiver.requests if r["path"] == "/hook"]) >= 3,
              "deliveries of the played call at the receiver", timeout=30)
    page.button("Delivery log of crm-acme").click()
    page.wait(lambda: page.dialog_open("delivery-dialog") and page.id("delivery-status").text != "Loading…",
              "the delivery log")

    def delivered_rows():
        return driver.execute_script(
            "return [...document.querySelectorAll('#delivery-rows tr[data-id]')].map((row) => "
            "[row.dataset.id, row.children[0].innerText, row.children[1].innerText, row.children[2].innerText, "
            "row.children[3].innerText])")

    def refreshed_rows():
        page.id("refresh-deliveries").click()
        time.sleep(0.3)
        return delivered_rows()

    page.wait(lambda: any(r[2] == "delivered" for r in refreshed_rows()), "a delivered row", timeout=20)
    rows = delivered_rows()
    first = [r for r in rows if r[2] == "delivered"][-1]
    assert first[3] == "1" and first[4] == "200", first
    page.screenshot("deliveries.png")
    before = len([r for r in receiver.requests if r["path"] == "/hook"])
    driver.find_element(By.CSS_SELECTOR, "#delivery-rows tr[data-id='%s'] .redeliver" % first[0]).click()
    page.wait(lambda: "queued again" in page.id("delivery-status").text, "the redeliver confirmation")
    page.wait(lambda: len([r for r in receiver.requests if r["path"] == "/hook"]) > before, "the redelivery",
              timeout=20)
    page.wait(lambda: [r for r in refreshed_rows() if r[0] == first[0]][0][3] == "2", "a second attempt", timeout=20)
    hooks = [r for r in receiver.requests if r["path"] == "/hook"]
    ids = [{k.lower(): v for k, v in r["headers"].items()}.get("webhook-id") for r in hooks]
    assert ids[-1] in ids[:-1], "a redelivery carries the same webhook-id"
    page.screenshot("deliveries-redelivered.png")
    page.id("delivery-dialog").send_keys(Keys.ESCAPE)
    page.wait(lambda: not page.dialog_open("delivery-dialog"), "the delivery log to close")

    step("Delete asks first: Cancel keeps the row, Delete removes it")
    page.button("Delete crm-acme").click()
    page.wait(lambda: page.dialog_open("confirm-dialog"), "the confirmation")
    assert "crm-acme" in page.id("confirm-text").text
    page.screenshot("delete-confirm.png")
    page.id("confirm-cancel").click()
    page.wait(lambda: not page.dialog_open("confirm-dialog"), "the confirmation to close")
    assert page.row_names() == ["crm-acme"]
    page.button("Delete crm-acme").click()
    page.wait(lambda: page.dialog_open("confirm-dialog"), "the confirmation")
    page.id("confirm-ok").click()
    page.wait(lambda: page.row_names() == [], "the row to disappear")
    page.id("search").clear()
    page.fill("search", " ")
    page.wait(lambda: page.row_names() == ["billing-globex"], "only the other webhook left")

    step("the browser console shows no script errors or blocked resources")
    problems = [entry["message"] for entry in driver.get_log("browser")
                if entry["level"] == "SEVERE" and "status of 4" not in entry["message"]]
    assert not problems, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True, help="the event-publisher executable")
    parser.add_argument("--screenshots", default="build/screenshots")
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)

    workdir = tempfile.mkdtemp(prefix="ep-browser-")
    receiver = Receiver()
    ami = FakeAMI(os.path.join(ROOT, "fixtures", "ami", "01-internal-answered-caller-hangup.ami"))
    process, base, daemon_log = start_daemon(args.binary, workdir, ami.port)
    driver = None
    try:
        driver = make_driver()
        run(Page(driver, args.screenshots), base, receiver, ami)
        print("browser test passed (%s)" % base, flush=True)
        return 0
    except Exception as error:  # report the step, keep a screenshot of the failure
        print("browser test FAILED at step '%s': %r" % (Step.current, error), file=sys.stderr, flush=True)
        if driver:
            driver.save_screenshot(os.path.join(args.screenshots, "failure.png"))
        print("daemon log (last lines):\n  " + "\n  ".join(daemon_log[-20:]), file=sys.stderr)
        return 1
    finally:
        if driver:
            driver.quit()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        receiver.stop()
        ami.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
