"""gunicorn's settings for every server of the site: the Dockerfile, docker-compose.yml, `make stack` and the
HTTP section of benchmarks/odds.py all load this file.

Threaded workers (gthread) keep the connections of many clients alive on a few processes. Two threads per
worker: a request spends about half its time waiting on PostgreSQL or Redis, so a second thread fills that
wait, and more threads only contend for the interpreter lock. On this 2-core machine, 4 workers x 2 threads
served both the API's ballot save and the floor's single upsert fastest of the counts tried (2 x 4, 3 x 2,
4 x 4, 6 x 2, 8 x 1; benchmarks/README.md). WEB_CONCURRENCY and GUNICORN_THREADS override the counts.
"""

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * len(os.sched_getaffinity(0)))
threads = int(os.environ.get("GUNICORN_THREADS") or 2)
