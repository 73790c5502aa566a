#!/bin/sh
cd /work/main
export FENGQIAO_VAR_DIR=/tmp/review-ops/var DJANGO_SETTINGS_MODULE=fengqiao.settings.dev
exec .venv/bin/fengqiao serve --port 8765
