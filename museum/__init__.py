"""Mouseion: the Django project (settings, urls, asgi, websocket routing, the Celery app, the job
runner, API errors, roles) and, in sub-packages, the visitor side: building, gallery, tours,
planning, realtime. Importing this package loads neither Django nor Celery."""
