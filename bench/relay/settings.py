"""Settings of the bare relay: the floor the live kaart's latency is compared with.

Only what a Channels consumer needs: daphne, channels, channels-redis on the same Redis as the
app (REDIS_URL, with its own CHANNELS_PREFIX). No database, no middleware, no templates.
"""

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bench-relay-only")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1").split(",") if h]
INSTALLED_APPS = ["daphne", "channels"]
ASGI_APPLICATION = "bench.relay.asgi.application"
DATABASES = {}
USE_TZ = True
# What halenbrengen.serve (the launcher both run with) reads: the app's limits on a peer that
# does not read.
HB_WS_MAX_BUFFERED_BYTES = 1024 * 1024
HB_WS_SEND_BUFFER_BYTES = 256 * 1024
# The same channel layer as the app under test (BENCH_APP_SETTINGS, the settings module the
# app's daphne ran with), under the relay's own prefix; BENCH_LAYER=core|pubsub overrides it.
_layer = os.environ.get("BENCH_LAYER", "")
if _layer == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [os.environ["REDIS_URL"]],
                "prefix": os.environ.get("CHANNELS_PREFIX", "bench-relay"),
            },
        }
    }
elif _layer == "core":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [os.environ["REDIS_URL"]],
                "capacity": 1000,
                "expiry": 30,
                "prefix": os.environ.get("CHANNELS_PREFIX", "bench-relay"),
            },
        }
    }
else:
    import copy
    import importlib

    _app = importlib.import_module(os.environ.get("BENCH_APP_SETTINGS", "halenbrengen.settings"))
    CHANNEL_LAYERS = copy.deepcopy(_app.CHANNEL_LAYERS)
