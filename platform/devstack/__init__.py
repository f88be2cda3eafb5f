"""The one-command development stack: embedded PostgreSQL and Redis, migrations, demo
data, then the web server, a Celery worker and Celery beat (``make run``), or a
throw-away stack for the test suite (``make test``)."""
