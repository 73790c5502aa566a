"""A patrol in a real browser (Playwright driving Debian's Chromium, its position faked): a grid
worker opens the phone page, starts a patrol, walks (the position moves a few times), reports a
matter on the way, ends the patrol with a note; the server holds the track, its length and the
note, the matter is linked to the patrol, and the patrol's console page draws the track on its
map.

The phone keeps one position every 15 seconds and sends every 30 in the product; here the page is
told 1 and 2 (``web.phone``'s settings, read when the page is drawn), so the walk takes seconds.
Playwright runs on a thread of its own, as the check-point registry's browser test does (the web
tests' session-wide browser may hold this thread's Playwright already)."""

from __future__ import annotations

import threading

import pytest
from shapely.geometry import shape

from fengqiao.web.tests import conftest as browser_fixtures

from .conftest import XINHU_GRID

# where the web app's browser tests put their screenshots
screenshot_dir = browser_fixtures.screenshot_dir

NOTE = "沿心湖路巡逻一圈,3号楼门口路灯不亮,已上报。"
#: one step north (about 11 m): a walk, not a jump of the fix, between two positions a second apart
STEP = 0.0001


_Browser = browser_fixtures.BrowserThread


@pytest.fixture
def grid_centre(monkeypatch, demo_county):
    """Chromium is there, the page keeps a position every second and sends every two, and the
    (longitude, latitude) inside 心湖 grid 1 where the walks start."""
    from fengqiao.areas.models import Area
    from fengqiao.web import phone

    browser_fixtures.need_chromium()
    monkeypatch.setattr(phone, "PATROL_POINT_EVERY_S", 1)
    monkeypatch.setattr(phone, "PATROL_SEND_EVERY_S", 2)
    centre = shape(Area.objects.get(code=XINHU_GRID).boundary).representative_point()
    return round(centre.x, 6), round(centre.y, 6)


def _wait(page, condition: str, what: str, tries: int = 100):
    """Poll a JS condition (every 200 ms, 20 s at most)."""
    for _ in range(tries):
        if page.evaluate(condition):
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"never true: {what}: {condition}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_grid_worker_walks_a_patrol_with_the_phone(grid_centre, live_server, demo_county, users,
                                                      screenshot_dir):
    from fengqiao.events.models import Event
    from fengqiao.events.seed import link_departments, seed_categories, seed_policies
    from fengqiao.patrols.choices import EndReason
    from fengqiao.patrols.models import Patrol, PatrolReport

    # an earlier test's flush empties what the migrations seeded; a report needs its policies
    seed_categories()
    seed_policies()
    link_departments()
    lng, lat = grid_centre[0], grid_centre[1] - 3 * STEP
    base = live_server.url

    def steps(chromium, seen):
        context = chromium.new_context(
            locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
            service_workers="block", permissions=["geolocation"],
            geolocation={"latitude": lat, "longitude": lng, "accuracy": 5})
        page = context.new_page()
        page.on("dialog", lambda d: d.accept())  # 确定结束本次巡逻?
        browser_fixtures.login(page, base, "grid_xinhu1")
        page.goto(f"{base}/m/")
        page.wait_for_selector("#patrol-card[data-state='idle']")
        seen["my_patrols"] = page.locator("#my-patrols-link").get_attribute("href")
        page.click("#patrol-start")
        # the server started it: the card knows its id
        _wait(page, "document.getElementById('patrol-card').dataset.patrol !== ''", "started on the server")
        seen["patrol"] = int(page.locator("#patrol-card").get_attribute("data-patrol"))
        seen["report_hint"] = page.locator("#report-on-patrol").is_visible()
        # walk north, a position a little more than a second apart
        for i in range(1, 6):
            page.wait_for_timeout(1300)
            context.set_geolocation({"latitude": lat + i * STEP, "longitude": lng, "accuracy": 5})
        page.wait_for_timeout(1300)
        _wait(page, "Number(document.getElementById('patrol-sent').textContent) >= 4", "positions sent")
        seen["elapsed"] = page.locator("#patrol-elapsed").inner_text()
        # a matter on the way, from the report form
        page.fill("#r-content", "心湖路3号楼门口路灯不亮,夜间行人看不清路")
        page.click("#report-form button[type=submit]")
        _wait(page, "document.getElementById('queue-status').dataset.count === '0'", "report sent")
        page.screenshot(path=str(screenshot_dir / "patrol-phone-running.png"), full_page=True)
        # end it with a note
        page.fill("#patrol-note", NOTE)
        page.click("#patrol-finish")
        page.wait_for_selector("#patrol-card[data-state='idle']")
        _wait(page, "document.getElementById('patrol-card').dataset.waiting === '0' && "
                    "JSON.parse(localStorage.getItem('fengqiao-patrol:' + "
                    "JSON.parse(document.getElementById('patrol-data').textContent).user)).trips.length === 0",
              "the end sent and nothing left on the phone")
        seen["status"] = page.locator("#patrol-status").inner_text()
        seen["errors"] = page.locator("#patrol-errors li").all_inner_texts()
        page.screenshot(path=str(screenshot_dir / "patrol-phone-ended.png"), full_page=True)
        # the console page of the patrol draws its track
        page.goto(f"{base}/patrols/{seen['patrol']}/")
        page.wait_for_selector("#patrol-map path.patrol-track", state="attached")
        seen["paths"] = page.locator("#patrol-map path").count()
        seen["markers"] = page.locator("#patrol-map path.patrol-start, #patrol-map path.patrol-end").count()
        seen["note"] = page.locator("#patrol-note").inner_text()
        seen["matters"] = page.locator("#patrol-matters li[data-matter]").count()
        page.screenshot(path=str(screenshot_dir / "patrol-detail.png"), full_page=True)
        page.goto(f"{base}{seen['my_patrols']}")
        seen["listed"] = page.locator(f"tr[data-patrol='{seen['patrol']}']").count()
        context.close()

    seen = _Browser(steps).drive()
    p = Patrol.objects.get(pk=seen["patrol"])
    assert p.by == users.grid_xinhu1 and p.area.code == XINHU_GRID
    assert p.end_reason == EndReason.FINISHED and p.note == NOTE and seen["note"] == NOTE
    assert p.point_count >= 4 and p.distance_m >= 30 and p.inside_count == p.point_count
    assert p.ended_at >= p.last_point_at >= p.started_at
    assert seen["report_hint"] and seen["elapsed"].startswith("0:00:")
    assert seen["errors"] == [] and seen["status"]
    event = Event.objects.get(patrol_report__patrol=p)
    assert PatrolReport.objects.filter(patrol=p).count() == 1 and event.content.startswith("心湖路3号楼")
    assert seen["paths"] >= 4 and seen["markers"] == 2 and seen["matters"] == 1  # boundary, track, start, end
    assert seen["my_patrols"] == "/patrols/?by=grid_xinhu1" and seen["listed"] == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_phone_keeps_the_track_through_no_network_a_reload_and_an_expired_sign_in(
        grid_centre, live_server, demo_county, users, screenshot_dir):
    from django.contrib.sessions.models import Session

    from fengqiao.patrols.choices import EndReason
    from fengqiao.patrols.models import Patrol

    lng, lat = grid_centre[0], grid_centre[1] - 6 * STEP
    base = live_server.url
    queued = "Number(document.getElementById('patrol-queued').textContent)"
    sent = "Number(document.getElementById('patrol-sent').textContent)"
    expire = threading.Event()
    expired = threading.Event()

    def steps(chromium, seen):
        context = chromium.new_context(
            locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, service_workers="block",
            permissions=["geolocation"], geolocation={"latitude": lat, "longitude": lng, "accuracy": 5})
        page = context.new_page()
        page.on("dialog", lambda d: d.accept())
        step = [0]

        def walk(n):
            for _ in range(n):
                step[0] += 1
                page.wait_for_timeout(1200)
                context.set_geolocation({"latitude": lat + step[0] * STEP, "longitude": lng, "accuracy": 5})
            page.wait_for_timeout(1200)

        browser_fixtures.login(page, base, "grid_xinhu1")
        page.goto(f"{base}/m/")
        page.click("#patrol-start")
        _wait(page, "document.getElementById('patrol-card').dataset.patrol !== ''", "started on the server")
        seen["patrol"] = int(page.locator("#patrol-card").get_attribute("data-patrol"))
        _wait(page, f"{sent} >= 1", "the first position sent")

        # 1. no network: the positions stay on the phone, and outlive a reload of the page
        page.route("**/api/v1/patrols/*/points/", lambda route: route.abort("internetdisconnected"))
        walk(3)
        _wait(page, f"{queued} >= 3", "positions queued while the network is down")
        seen["queued_offline"] = page.evaluate(queued)
        page.reload()
        page.wait_for_selector("#patrol-card[data-state='running']")
        _wait(page, f"{queued} >= {seen['queued_offline']}", "the queue survived the reload")
        seen["queued_after_reload"] = page.evaluate(queued)
        seen["status_offline"] = page.locator("#patrol-status").inner_text()

        # 2. the sign-in expires (the test's thread ends the session): kept, asked to sign in again
        expire.set()
        assert expired.wait(10)
        page.unroute("**/api/v1/patrols/*/points/")
        page.evaluate("window.fengqiaoPatrol.flush()")
        page.wait_for_selector("#patrol-login:not([hidden])")
        seen["queued_signed_out"] = page.evaluate(queued)
        page.screenshot(path=str(screenshot_dir / "patrol-phone-signed-out.png"), full_page=True)

        # 3. signed in again: everything is sent
        browser_fixtures.login(page, base, "grid_xinhu1")
        page.goto(f"{base}/m/")
        page.wait_for_selector("#patrol-card[data-state='running']")
        _wait(page, f"{queued} === 0 && {sent} >= {seen['queued_signed_out']}", "the queue sent after signing in")
        seen["login_hidden"] = page.locator("#patrol-login").is_hidden()

        # 4. a batch the server will not take (400) is dropped and said; the walk goes on
        page.route("**/api/v1/patrols/*/points/", lambda route: route.fulfill(
            status=400, content_type="application/json",
            body='{"error": "bad_points", "detail": "points[0] 格式不正确", "detail_zh": "points[0] 格式不正确", '
                 '"detail_en": "points[0] is wrong"}'))
        walk(1)
        page.evaluate("window.fengqiaoPatrol.flush()")
        _wait(page, "document.querySelectorAll('#patrol-errors li').length === 1", "the refusal said")
        _wait(page, f"{queued} === 0", "the refused batch dropped")
        seen["refusal"] = page.locator("#patrol-errors li").inner_text()
        page.unroute("**/api/v1/patrols/*/points/")
        seen["sent_before_end"] = page.evaluate(sent)

        # 5. ended with no network: the end waits on the phone, then goes
        page.route("**/api/v1/patrols/**", lambda route: route.abort("internetdisconnected"))
        page.fill("#patrol-note", "断网时结束")
        page.click("#patrol-finish")
        page.wait_for_selector("#patrol-card[data-state='idle']")
        seen["ending"] = page.locator("#patrol-status").inner_text()
        seen["trips_waiting"] = page.evaluate(
            "JSON.parse(localStorage.getItem('fengqiao-patrol:' + "
            "JSON.parse(document.getElementById('patrol-data').textContent).user)).trips.length")
        page.unroute("**/api/v1/patrols/**")
        page.evaluate("window.fengqiaoPatrol.flush()")
        _wait(page, "JSON.parse(localStorage.getItem('fengqiao-patrol:' + "
                    "JSON.parse(document.getElementById('patrol-data').textContent).user)).trips.length === 0",
              "the end sent")
        context.close()

    browser = _Browser(steps)
    browser.start()
    for _ in range(240):  # until the browser asks for the sign-in to expire, or stops
        if expire.wait(0.5) or not browser.is_alive():
            break
    if browser.error is not None:
        raise browser.error
    assert expire.is_set(), "the browser never reached the expired sign-in"
    Session.objects.all().delete()
    expired.set()
    seen = browser.drive()
    p = Patrol.objects.get(pk=seen["patrol"])
    assert seen["queued_offline"] >= 3 and seen["queued_after_reload"] >= seen["queued_offline"]
    assert seen["status_offline"]  # 待上传定位点 …
    assert seen["queued_signed_out"] >= seen["queued_after_reload"] and seen["login_hidden"]
    assert seen["refusal"] == "points[0] 格式不正确"
    assert seen["trips_waiting"] == 1 and seen["ending"]
    assert p.end_reason == EndReason.FINISHED and p.note == "断网时结束"
    assert p.point_count == seen["sent_before_end"] >= 1 + seen["queued_signed_out"]
    assert p.distance_m > 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_phone_takes_over_a_patrol_started_elsewhere_and_lets_go_of_it_once_ended_there(
        grid_centre, live_server, demo_county, users):
    import datetime as dt

    from django.utils import timezone

    from fengqiao.patrols import actions
    from fengqiao.patrols.choices import EndReason
    from fengqiao.patrols.models import Patrol

    lng, lat = grid_centre
    elsewhere = actions.start_patrol(by=users.grid_xinhu1, started_at=timezone.now() - dt.timedelta(minutes=5))
    base = live_server.url
    sent = "Number(document.getElementById('patrol-sent').textContent)"
    end_it, ended = threading.Event(), threading.Event()

    def steps(chromium, seen):
        context = chromium.new_context(
            locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, service_workers="block",
            permissions=["geolocation"], geolocation={"latitude": lat, "longitude": lng, "accuracy": 5})
        page = context.new_page()
        browser_fixtures.login(page, base, "grid_xinhu1")
        page.goto(f"{base}/m/")
        page.wait_for_selector("#patrol-card[data-state='running']")
        seen["patrol"] = page.locator("#patrol-card").get_attribute("data-patrol")
        for i in range(1, 3):
            page.wait_for_timeout(1200)
            context.set_geolocation({"latitude": lat + i * STEP, "longitude": lng, "accuracy": 5})
        page.wait_for_timeout(1200)
        _wait(page, f"{sent} >= 2", "positions sent to the patrol taken over")
        page.evaluate("window.fengqiaoPatrol.flush()")
        _wait(page, "document.getElementById('patrol-card').dataset.waiting === '0'", "nothing left to send")
        end_it.set()  # the patroller ends it on their other phone
        assert ended.wait(20)
        page.reload()
        page.wait_for_selector("#patrol-card[data-state='idle']")
        _wait(page, "document.getElementById('patrol-status').textContent !== ''", "the phone says why")
        seen["status"] = page.locator("#patrol-status").inner_text()
        seen["closed"] = page.locator("#patrol-status").get_attribute("data-closed")
        _wait(page, "JSON.parse(localStorage.getItem('fengqiao-patrol:' + "
                    "JSON.parse(document.getElementById('patrol-data').textContent).user)).trips.length === 0",
              "nothing kept")
        context.close()

    browser = _Browser(steps)
    browser.start()
    for _ in range(240):
        if end_it.wait(0.5) or not browser.is_alive():
            break
    if browser.error is not None:
        raise browser.error
    assert end_it.is_set(), "the browser never took the patrol over"
    actions.finish_patrol(elsewhere, by=users.grid_xinhu1, note="另一部手机结束")
    ended.set()
    seen = browser.drive()
    p = Patrol.objects.get(pk=elsewhere.pk)
    assert seen["patrol"] == str(elsewhere.pk) and p.point_count >= 2 and p.distance_m > 0
    assert p.end_reason == EndReason.FINISHED and p.note == "另一部手机结束"
    assert seen["status"] == seen["closed"]
    assert Patrol.objects.filter(by=users.grid_xinhu1).count() == 1  # the phone started none of its own


# ---------------------------------------------------------------- after review: nothing kept on the phone is lost

#: the phone's store of the page's account, read in the page
STORE = ("JSON.parse(localStorage.getItem('fengqiao-patrol:' + "
         "JSON.parse(document.getElementById('patrol-data').textContent).user) || 'null')")
QUEUED = "Number(document.getElementById('patrol-queued').textContent)"
SENT = "Number(document.getElementById('patrol-sent').textContent)"
#: the phone's fixes stamped ten minutes ahead of its clock
FIX_AHEAD = """(() => {
  const geo = navigator.geolocation, watch = geo.watchPosition.bind(geo);
  geo.watchPosition = (ok, err, opts) => watch(
    (p) => ok({coords: p.coords, timestamp: p.timestamp + 600000}), err, opts);
})();"""


def _phone_context(chromium, lat, lng, accuracy=5):
    return chromium.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, service_workers="block",
        permissions=["geolocation"], geolocation={"latitude": lat, "longitude": lng, "accuracy": accuracy})


def _walker(page, context, lat, lng):
    step = [0]

    def walk(n, accuracy=5):
        for _ in range(n):
            step[0] += 1
            page.wait_for_timeout(1200)
            context.set_geolocation({"latitude": lat + step[0] * STEP, "longitude": lng, "accuracy": accuracy})
        page.wait_for_timeout(1200)
    return walk


def _json(error: str, zh: str, status: int = 400):
    import json

    return {"status": status, "content_type": "application/json",
            "body": json.dumps({"error": error, "detail": zh, "detail_zh": zh, "detail_en": error})}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_start_the_server_refuses_keeps_the_trip_until_deleted_and_a_start_answered_409_is_found_again(
        grid_centre, live_server, demo_county, users, screenshot_dir):
    from fengqiao.patrols.choices import EndReason
    from fengqiao.patrols.models import Patrol, TrackPoint

    lng, lat = grid_centre
    base = live_server.url
    start_url = "**/api/v1/patrols/"

    def steps(chromium, seen):
        context = _phone_context(chromium, lat, lng)
        page = context.new_page()
        page.add_init_script(FIX_AHEAD)
        page.on("dialog", lambda d: d.accept())
        walk = _walker(page, context, lat, lng)
        browser_fixtures.login(page, base, "grid_xinhu1")
        page.goto(f"{base}/m/")
        page.wait_for_selector("#patrol-card[data-state='idle']")

        # 1. started with no network, walked, a note written; then the server refuses the start
        page.route(start_url, lambda route: route.abort("internetdisconnected"))
        page.click("#patrol-start")
        walk(3)
        page.fill("#patrol-note", "东门路灯不亮")
        _wait(page, f"{QUEUED} >= 2", "positions kept while the start waits")
        # a fix stamped ahead of the phone's clock is kept at the phone's time
        seen["ahead"] = page.evaluate(f"{STORE}.trips[0].points.filter(p => Date.parse(p.at) > Date.now()).length")
        seen["kept"] = page.evaluate(QUEUED)
        page.unroute(start_url)
        page.route(start_url, lambda route: route.fulfill(
            **_json("too_old", "只能补录12小时内开始的巡逻")))
        page.evaluate("window.fengqiaoPatrol.flush()")
        page.wait_for_selector("#patrol-trips li[data-trip='refused']")
        page.wait_for_selector("#patrol-card[data-state='idle']")
        seen["refused_text"] = page.locator("#patrol-trips li .trip-text").inner_text()
        trip = page.evaluate(f"{STORE}.trips[0]")
        seen["refused_trip"] = {"points": len(trip["points"]), "note": trip["note"], "error": trip["refused"]["error"]}
        page.screenshot(path=str(screenshot_dir / "patrol-phone-start-refused.png"), full_page=True)
        # sent again, refused again: still kept; deleted on the patroller's word only
        page.locator("#patrol-trips li button[data-trip-action=retry]").click()
        page.wait_for_selector("#patrol-trips li[data-trip='refused']")
        page.locator("#patrol-trips li button[data-trip-action=delete]").click()
        _wait(page, f"{STORE}.trips.length === 0 && !document.querySelector('#patrol-trips li')", "deleted")
        page.unroute(start_url)

        # 2. the start reaches the server but the phone hears 409 patrol_running: its own patrol
        def started_but_409(route):
            if route.request.method != "POST":
                return route.continue_()
            route.fetch()
            route.fulfill(**_json("patrol_running", "您有一次巡逻尚未结束,请先结束它", 409))
        page.route(start_url, started_but_409)
        page.click("#patrol-start")
        _wait(page, "document.getElementById('patrol-card').dataset.patrol !== ''", "its own patrol found")
        page.unroute(start_url)
        seen["patrol"] = int(page.locator("#patrol-card").get_attribute("data-patrol"))
        # a fix the server would refuse a whole batch for (accuracy beyond 100 km): sent without it
        walk(2, accuracy=150000)
        _wait(page, f"{SENT} >= 2 && {QUEUED} === 0", "positions sent")
        seen["errors"] = page.locator("#patrol-errors li").all_inner_texts()
        page.click("#patrol-finish")
        _wait(page, f"{STORE}.trips.length === 0", "ended")
        context.close()

    seen = _Browser(steps).drive()
    assert seen["ahead"] == 0 and seen["kept"] >= 2
    assert seen["refused_text"].endswith("东门路灯不亮") and "只能补录12小时内开始的巡逻" in seen["refused_text"]
    assert seen["refused_trip"] == {"points": seen["kept"], "note": "东门路灯不亮", "error": "too_old"}
    assert seen["errors"] == []
    p = Patrol.objects.get(by=users.grid_xinhu1)  # one patrol: none from the refused start, one from the 409
    assert p.pk == seen["patrol"] and p.end_reason == EndReason.FINISHED
    assert TrackPoint.objects.filter(patrol=p, accuracy_m__isnull=True).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_another_account_signing_in_on_the_phone_sends_nothing_of_the_page_s_account(
        grid_centre, live_server, demo_county, users, screenshot_dir):
    from fengqiao.events.models import Event
    from fengqiao.events.seed import link_departments, seed_categories, seed_policies
    from fengqiao.patrols.choices import EndReason
    from fengqiao.patrols.models import Patrol

    seed_categories()
    seed_policies()
    link_departments()
    lng, lat = grid_centre
    base = live_server.url
    content = "心湖社区9幢北侧消防通道被车辆堵塞"

    def steps(chromium, seen):
        context = _phone_context(chromium, lat, lng)
        page = context.new_page()
        page.on("dialog", lambda d: d.accept())
        sent = seen["requests"] = []
        page.on("request", lambda r: sent.append((r.url.split("/", 3)[3], r.headers.get("x-fengqiao-user")))
                if r.method == "POST" and ("/api/v1/patrols/" in r.url or r.url.endswith("/m/report/")) else None)
        answers = seen["answers"] = []
        page.on("response", lambda r: answers.append(r.status) if r.status == 401 else None)
        walk = _walker(page, context, lat, lng)
        browser_fixtures.login(page, base, "grid_xinhu1")
        page.goto(f"{base}/m/")
        seen["user"] = page.evaluate("String(JSON.parse(document.getElementById('patrol-data').textContent).user)")
        page.click("#patrol-start")
        _wait(page, "document.getElementById('patrol-card').dataset.patrol !== ''", "started")
        seen["patrol"] = int(page.locator("#patrol-card").get_attribute("data-patrol"))
        walk(2)
        _wait(page, f"{SENT} >= 1", "a position sent")

        # 1. the village cadre signs in on the same phone (another tab): the phone's cookie is theirs
        # The first tab keeps sending, and every answer renews its session cookie: hold its
        # requests (a network error to it: kept for later) and let those in flight finish before
        # the cookies are cleared, or an answer arriving afterwards signs the phone in again.
        page.route("**/*", lambda route: route.abort())
        page.wait_for_timeout(1500)
        context.clear_cookies()
        other = context.new_page()
        browser_fixtures.login(other, base, "cadre_xinhu")
        page.unroute("**/*")
        walk(2)
        page.fill("#r-content", content)
        page.click("#report-form button[type=submit]")
        page.evaluate("window.fengqiaoPatrol.flush()")
        page.wait_for_selector("#patrol-login:not([hidden])")
        page.wait_for_selector("#queue-login:not([hidden])")
        seen["patrol_login"] = page.locator("#patrol-login-text").inner_text()
        seen["queue_login"] = page.locator("#queue-login-text").inner_text()
        seen["queued_wrong_user"] = page.evaluate(QUEUED)
        seen["reports_wrong_user"] = page.evaluate("window.fengqiaoPhone.pending().then(r => r.length)")
        page.screenshot(path=str(screenshot_dir / "patrol-phone-wrong-user.png"), full_page=True)
        # the cadre's own page leaves the grid worker's report on the phone alone
        other.goto(f"{base}/m/")
        other.wait_for_selector("#queue-others:not([hidden])")
        seen["others"] = other.locator("#queue-others").inner_text()
        seen["cadre_count"] = other.locator("#queue-status").get_attribute("data-count")

        # 2. the grid worker signs in again: everything goes, as theirs (the first tab held while
        # the cookies change, as above)
        page.route("**/*", lambda route: route.abort())
        other.close()
        page.wait_for_timeout(1500)
        context.clear_cookies()
        other = context.new_page()
        browser_fixtures.login(other, base, "grid_xinhu1")
        other.close()
        page.unroute("**/*")
        page.evaluate("window.fengqiaoPhone.flush()")
        page.evaluate("window.fengqiaoPatrol.flush()")
        _wait(page, f"{QUEUED} === 0 && document.getElementById('patrol-login').hidden", "positions sent")
        _wait(page, "document.getElementById('queue-status').dataset.count === '0'", "report sent")
        seen["sent_before_404"] = page.evaluate(SENT)

        # 3. a 404 on the patrol's positions, and on the patrol itself: kept, said, sent once found again
        pid = seen["patrol"]
        not_found = _json("not_found", "巡逻不存在或不在您的管辖范围内", 404)
        page.route(f"**/api/v1/patrols/{pid}/points/", lambda route: route.fulfill(**not_found))
        page.route(f"**/api/v1/patrols/{pid}/", lambda route: route.fulfill(**not_found))
        walk(2)
        page.evaluate("window.fengqiaoPatrol.flush()")
        page.wait_for_selector("#patrol-trips li[data-trip='lost']")
        seen["lost_text"] = page.locator("#patrol-trips li .trip-text").inner_text()
        seen["queued_lost"] = page.evaluate(QUEUED)
        page.unroute(f"**/api/v1/patrols/{pid}/points/")
        page.unroute(f"**/api/v1/patrols/{pid}/")
        page.reload()  # asked again as the page opens
        page.wait_for_selector("#patrol-card[data-state='running']")
        _wait(page, f"{QUEUED} === 0 && !document.querySelector('#patrol-trips li')", "sent once found")
        page.fill("#patrol-note", "消防通道已联系物业")
        page.click("#patrol-finish")
        _wait(page, f"{STORE}.trips.length === 0", "ended")
        context.close()

    seen = _Browser(steps).drive()
    user = str(users.grid_xinhu1.pk)
    assert seen["user"] == user
    paths = {path.split("/")[-2] if path.count("/") > 4 else path for path, _ in seen["requests"]}
    assert {"api/v1/patrols/", "points", "finish", "m/report/"} <= paths
    assert {header for _, header in seen["requests"]} == {user}  # every write names the page's account
    assert 401 in seen["answers"]
    assert "grid_xinhu1" in seen["patrol_login"] and "grid_xinhu1" in seen["queue_login"]
    assert seen["queued_wrong_user"] >= 1 and seen["reports_wrong_user"] == 1
    assert "1" in seen["others"] and seen["cadre_count"] == "0"
    assert seen["queued_lost"] >= 1 and seen["lost_text"]
    event = Event.objects.get(content=content)
    assert event.created_by == users.grid_xinhu1
    p = Patrol.objects.get(pk=seen["patrol"])
    assert p.end_reason == EndReason.FINISHED and p.note == "消防通道已联系物业"
    assert p.point_count >= seen["sent_before_404"] + seen["queued_lost"]
    assert not Patrol.objects.filter(by=users.cadre_xinhu).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_patrol_ended_automatically_stops_the_recording_and_is_ended_with_the_note(
        grid_centre, live_server, demo_county, users, screenshot_dir):
    import datetime as dt

    from django.utils import timezone

    from fengqiao.patrols import actions
    from fengqiao.patrols.choices import EndReason
    from fengqiao.patrols.models import Patrol

    lng, lat = grid_centre
    base = live_server.url
    note = "北门至东门一线正常,未见异常"
    go_quiet, ended = threading.Event(), threading.Event()
    points_url = "**/api/v1/patrols/*/points/"

    def steps(chromium, seen):
        context = _phone_context(chromium, lat, lng)
        page = context.new_page()
        page.on("dialog", lambda d: d.accept())
        walk = _walker(page, context, lat, lng)
        browser_fixtures.login(page, base, "grid_xinhu1")
        page.goto(f"{base}/m/")
        page.click("#patrol-start")
        _wait(page, "document.getElementById('patrol-card').dataset.patrol !== ''", "started")
        seen["patrol"] = int(page.locator("#patrol-card").get_attribute("data-patrol"))
        walk(2)
        _wait(page, f"{SENT} >= 1 && {QUEUED} === 0", "positions sent")

        # 1. no network; a second copy of the page overwrites the store with a stale copy (its
        #    positions not there): the recording page writes them back
        page.route(points_url, lambda route: route.abort("internetdisconnected"))
        walk(2)
        _wait(page, f"{QUEUED} >= 2", "positions kept")
        kept = page.evaluate(f"{STORE}.trips[0].points.map(p => p.at)")
        stale = context.new_page()
        stale.goto(f"{base}/patrols/")
        stale.evaluate("""() => {
            const key = Object.keys(localStorage).find(k => k.startsWith('fengqiao-patrol:'));
            const s = JSON.parse(localStorage.getItem(key));
            s.trips[0].points = [];
            localStorage.setItem(key, JSON.stringify(s));
        }""")
        for _ in range(50):
            back = stale.evaluate("""() => {
                const key = Object.keys(localStorage).find(k => k.startsWith('fengqiao-patrol:'));
                return JSON.parse(localStorage.getItem(key)).trips[0].points.map(p => p.at);
            }""")
            if set(kept) <= set(back):
                break
            stale.wait_for_timeout(100)
        seen["merged"] = set(kept) <= set(back)
        stale.close()

        # 2. the note written; the phone sends nothing for hours: the server ends the patrol
        page.fill("#patrol-note", note)
        page.locator("#patrol-note").blur()
        go_quiet.set()
        assert ended.wait(20)
        page.unroute(points_url)
        page.reload()
        page.wait_for_selector("#patrol-card[data-state='ended']")
        seen["ended_said"] = page.locator("#patrol-server-ended").is_visible()
        seen["note"] = page.input_value("#patrol-note")
        seen["finish_visible"] = page.locator("#patrol-finish").is_visible()
        page.screenshot(path=str(screenshot_dir / "patrol-phone-ended-on-server.png"), full_page=True)
        # no longer recorded: fresh positions stay off the phone
        _wait(page, "document.getElementById('patrol-card').dataset.waiting === '0'", "what was kept sent")
        walk(2)
        seen["queued_after_end"] = page.evaluate(QUEUED)
        # 3. ended with the note
        page.click("#patrol-finish")
        page.wait_for_selector("#patrol-card[data-state='idle']")
        _wait(page, f"{STORE}.trips.length === 0", "the end sent")
        context.close()

    browser = _Browser(steps)
    browser.start()
    for _ in range(240):
        if go_quiet.wait(0.5) or not browser.is_alive():
            break
    if browser.error is not None:
        raise browser.error
    assert go_quiet.is_set(), "the browser never went quiet"
    Patrol.objects.filter(by=users.grid_xinhu1).update(heard_at=timezone.now() - dt.timedelta(hours=3))
    assert actions.close_idle_patrols() == 1
    assert Patrol.objects.get(by=users.grid_xinhu1).end_reason == EndReason.TIMED_OUT
    ended.set()
    seen = browser.drive()
    p = Patrol.objects.get(pk=seen["patrol"])
    assert seen["merged"]
    assert seen["ended_said"] and seen["finish_visible"] and seen["note"] == note
    assert seen["queued_after_end"] == 0
    assert p.end_reason == EndReason.FINISHED and p.note == note
    assert p.ended_at >= p.last_point_at and p.point_count >= 3
