# Shared by scripts/demo and scripts/test: a virtual environment with intake installed in it,
# and the system packages a step needs (apt-get, when running as root and they are missing).
VENV="${INTAKE_VENV:-.venv}"

setup_python() {   # setup_python [extras]
  local extras="${1:-}"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating the virtual environment $VENV"
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.installed${extras:+-$extras}"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "==> installing intake${extras:+ with [$extras]} (pip)"
    # pip's and setuptools' own chatter goes to a log, shown only when the install fails
    if ! { "$VENV/bin/python" -m pip install --quiet --upgrade pip &&
           "$VENV/bin/python" -m pip install --quiet -e ".${extras:+[$extras]}"; } >"$VENV/pip.log" 2>&1; then
      cat "$VENV/pip.log" >&2
      echo "the installation failed (the log above is also in $VENV/pip.log)" >&2
      return 1
    fi
    touch "$stamp"
  fi
  export PATH="$PWD/$VENV/bin:$PATH"
}

ensure_apt() {     # ensure_apt COMMAND|FILE PACKAGE   (FILE: a path, may hold a glob; for data packages)
  local command="$1" package="$2"
  if [[ "$command" == */* ]]; then
    if compgen -G "$command" >/dev/null; then return 0; fi
  elif command -v "$command" >/dev/null 2>&1 || [ -x "/usr/sbin/$command" ]; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing $package (apt-get)"
    if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null; _APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  else
    echo "==> $package is missing and cannot be installed here (not root or no apt-get): its tests will skip"
  fi
}

ensure_document_readers() {   # what reads legacy Office files and photos/scans (OCR); optional at run time
  ensure_apt antiword antiword
  ensure_apt catdoc catdoc
  ensure_apt tesseract tesseract-ocr
  local lang
  for lang in fra ara eng; do
    ensure_apt "/usr/share/tesseract-ocr/*/tessdata/$lang.traineddata" "tesseract-ocr-$lang"
  done
}
