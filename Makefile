# Every target installs what it needs from this project's own files first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1
SAMPLE ?= events/impactive-sample.csv

.PHONY: install test pytest lint validate build demo bench bench-5m deploy clean

install: $(STAMP)

# uv installs the same packages as pip from the same index, in seconds rather than minutes.
$(STAMP): pyproject.toml layers/phonebank/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check 'uv>=0.4,<1'
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/uv pip install --quiet -e '.[dev,tools]'
	touch $(STAMP)

## The README's test command: the test suite, the linters and the offline SAM checks and build.
test: pytest lint validate build

pytest: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy layers/phonebank/phonebank local/phonebank_local functions bench

# checkov pins boto3 to one old release: in the project's environment it would take aws-sam-cli, cfn-lint
# and the tests' boto3 back by a year. It gets an environment of its own.
CHECKOV_VENV := $(VENV)/checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov

$(CHECKOV): $(STAMP)
	$(BIN)/uv venv --quiet --python $(PYTHON) $(CHECKOV_VENV)
	VIRTUAL_ENV=$(CURDIR)/$(CHECKOV_VENV) $(BIN)/uv pip install --quiet 'checkov>=3.2,<4'

# checkov fails on any failed check; --skip-download and BC_SKIP_MAPPING keep it from calling Prisma Cloud.
validate: install $(CHECKOV)
	$(BIN)/sam validate --lint --template template.yaml --region $(AWS_DEFAULT_REGION)
	$(BIN)/cfn-lint template.yaml
	$(BIN)/statelint --ignore=URI statemachine/*.asl.json
	BC_SKIP_MAPPING=TRUE $(CHECKOV) -f template.yaml --framework cloudformation --quiet --compact --skip-download

build: install
	$(BIN)/sam build --template template.yaml

## The README's first command: the whole flow on a local moto stack, on the bundled sample.
demo: install
	$(BIN)/phonebank local $(SAMPLE) --out demo-output

bench: install
	$(BIN)/python -m bench.run --rows 100000 1000000 --repeat 3

bench-5m: install
	$(BIN)/python -m bench.run --rows 100000 1000000 5000000 --repeat 3

deploy: build
	$(BIN)/sam deploy --guided

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache demo-output
