# The two commands of the README. Both install what they need (Python tools into .venv/).
.PHONY: dev test

## Run the whole service locally: moto, the Google sandbox, cargo lambda watch on :9000.
dev:
	@infra/dev.sh

## Run every test: unit, integration (moto + sandbox + functions over HTTP), template lint.
test:
	@infra/test.sh
