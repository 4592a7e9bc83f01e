#!/usr/bin/env python3
"""N concurrent wrong logins (default 300), each from its own loopback address 127.0.x.y so that
the per-address throttle lets every one through to argon2, against a running testapp; prints the
count of each status. Measures the admin's memory under a login flood:

    DYNLOG_BIND=127.0.0.1:8765 cargo run -p dynlog-testapp &
    grep VmRSS /proc/$(pgrep dynlog-testapp)/status
    scripts/login-flood.py 300 8765
    grep VmRSS /proc/$(pgrep dynlog-testapp)/status
"""
import http.client, re, sys, threading, urllib.parse, collections
N = int(sys.argv[1]) if len(sys.argv) > 1 else 300
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8000
statuses = collections.Counter()
lock = threading.Lock()
barrier = threading.Barrier(N)
def one(i):
    src = f"127.0.{1 + i // 250}.{1 + i % 250}"
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, source_address=(src, 0), timeout=300)
        c.request("GET", "/admin/login")
        r = c.getresponse(); body = r.read().decode()
        cookie = r.getheader("set-cookie").split(";")[0]
        csrf = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
        form = urllib.parse.urlencode({"csrf": csrf, "username": f"user{i}", "password": "wrong password here"})
        barrier.wait()
        c.request("POST", "/admin/login", body=form, headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse(); r.read()
        with lock: statuses[r.status] += 1
    except Exception as e:
        with lock: statuses[repr(e)[:60]] += 1
ts = [threading.Thread(target=one, args=(i,)) for i in range(N)]
[t.start() for t in ts]; [t.join() for t in ts]
print(dict(statuses))
