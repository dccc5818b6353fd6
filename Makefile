# The commands of the README. Each installs what it needs (Python tools into .venv/).
.PHONY: dev test size import-now

## Run the whole service locally: moto, the Google sandbox, cargo lambda watch on :9000.
dev:
	@infra/dev.sh

## Run every test: unit, integration (moto + sandbox + functions over HTTP), template lint.
test:
	@infra/test.sh

## Build every function for arm64 in release as `sam build` does; print each bootstrap's size.
size:
	@infra/size.sh

## With `make dev` running: fire the imports schedule once; returns when the queue is drained.
import-now:
	@set -a; . infra/local.env; set +a; AWS_ENDPOINT_URL=http://127.0.0.1:$${MOTO_PORT:-4566} \
	  LAMBDA_INVOKE_URL=http://127.0.0.1:$${API_PORT:-9000} "$$(infra/ensure-venv.sh)/python" infra/imports_local.py import-now
