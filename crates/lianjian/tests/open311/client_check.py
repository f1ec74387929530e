"""Points two published Open311 GeoReport v2 client libraries, unchanged, at a running
Lianjian server: civicbot's `Open311Client` (PyPI civicbot 0.4.0: services, definitions,
requests, tokens and posting, JSON) and `GeoReport` (PyPI georeport 0.3.1: reads in JSON and
XML). (`three` and `open311` on PyPI are Python 2 only and do not import on Python 3.)

Environment: OPEN311_ENDPOINT (e.g. http://127.0.0.1:8080/open311/v2), OPEN311_API_KEY
(a key from `lianjian open311 key create`). Exits non-zero at the first failed check."""

import os
import sys

from civicbot.http import HttpError, HttpTransport, RateLimiter
from civicbot.open311 import CONFIRM_TOKEN, Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport

base = os.environ["OPEN311_ENDPOINT"]
api_key = os.environ["OPEN311_API_KEY"]
checks = 0


def check(cond, what):
    global checks
    if not cond:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1
    print(f"ok: {what}")


# ---- civicbot (JSON, reads and writes) ----
endpoint = Endpoint(id="lianjian", name="Lianjian", base_url=base, write=True)
client = Open311Client(endpoint, transport=HttpTransport(rate_limiter=RateLimiter(min_interval=0)))

services = client.list_services()
codes = [s["service_code"] for s in services]
check("report" in codes and "complaint" in codes, f"civicbot: services lists report and complaint ({codes})")
check(all(s["metadata"] is True for s in services), "civicbot: every service has metadata")

definition = client.get_service_definition("report")
attrs = {a["code"]: a for a in definition["attributes"]}
check(definition["service_code"] == "report" and "entity_usci" in attrs, "civicbot: service definition with attributes")

# validate_remote: the client checks its form against our service list and definition first.
sent = client.create_request(
    "report",
    dry_run=False,
    confirm=CONFIRM_TOKEN,
    api_key=api_key,
    validate_remote=True,
    lat=33.437,
    lng=113.609,
    address_string="舞阳县舞泉镇人民路 1 号",
    description="药店出售过期药品，请核查。",
    first_name="三",
    last_name="张",
    phone="13800138000",
    email="zhang@example.cn",
    attributes={"entity_name": "某某大药房", "anonymous": "false"},
)
created = sent.response[0]
request_id = created["service_request_id"]
token = created["token"]
check(request_id.startswith("XS-"), f"civicbot: post returned service_request_id {request_id}")

by_token = client.get_token(token)
check(by_token[0]["service_request_id"] == request_id, "civicbot: token resolves to the request")

one = client.get_request(request_id)
check(one["service_request_id"] == request_id and one["status"] == "open", "civicbot: the request is open")
public = str(one)
check("13800138000" not in public and "zhang@example.cn" not in public and "张" not in public,
      "civicbot: the request publishes no complainant data")

listed = client.list_requests(service_code="report", status="open")
check(any(r["service_request_id"] == request_id for r in listed), "civicbot: requests by service_code and status")
check(client.list_requests(service_request_ids=[request_id])[0]["service_request_id"] == request_id,
      "civicbot: requests by id")
check(len(client.list_requests(page_size=1)) == 1, "civicbot: page_size")

try:
    client.create_request("report", dry_run=False, confirm=CONFIRM_TOKEN, api_key="wrong-key",
                          address_string="人民路", description="无效密钥的提交")
    check(False, "civicbot: a wrong api_key is refused")
except HttpError as e:
    check(e.status == 403 and '"code":403' in e.body, f"civicbot: a wrong api_key gets the spec's 403 error ({e.body})")

try:
    client.get_request("XS-000000-2000-99999")
    check(False, "civicbot: an unknown request is 404")
except HttpError as e:
    check(e.status == 404, "civicbot: an unknown request is 404")

# ---- georeport (JSON and XML) ----
for fmt in ("json", "xml"):
    g = GeoReport(base, output_format=fmt)
    sl = g.get_service_list()
    check(any(s["service_code"] == "report" for s in sl), f"georeport {fmt}: service list")
    sd = g.get_service_definition("report")
    check(sd["service_code"] == "report", f"georeport {fmt}: service definition")
    reqs = g.get_service_requests(service_request_id=request_id)
    if isinstance(reqs, dict):  # xmltodict reads a single element as a dict
        reqs = [reqs]
    check(reqs[0]["service_request_id"] == request_id, f"georeport {fmt}: requests by id")
    r = g.get_service_request(request_id)
    check(r["service_request_id"] == request_id and r["status"] == "open", f"georeport {fmt}: one request")

print(f"{checks} passed, 0 failed")
