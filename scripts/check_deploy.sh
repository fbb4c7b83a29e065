#!/bin/sh
# Check a machine set up by docs/deploy.md, the way an operator would: run as root on that machine
# while the web service, a worker and the HTTPS proxy run. One line a check; exit status 1 if any failed.
#
#   sudo scripts/check_deploy.sh
#
# The guide's paths are the defaults; override them with PW_ENV_FILE, PW_VENV, PW_USER, PW_UNITS,
# PW_UPSTREAM (where `paperwire serve` listens), PW_PROXY (address of the HTTPS proxy) and PW_LOGS
# (files holding the services' standard error, when journald does not have it).
# shellcheck disable=SC2015,SC2016,SC2317 # a && ok || bad: ok/bad always succeed; sh -c scripts are quoted on purpose
set -u

ENV_FILE=${PW_ENV_FILE:-/etc/paperwire/paperwire.env}
VENV=${PW_VENV:-/var/lib/paperwire/venv}
SERVICE_USER=${PW_USER:-paperwire}
UNITS=${PW_UNITS:-/etc/systemd/system}
UPSTREAM=${PW_UPSTREAM:-http://127.0.0.1:8000}
PROXY=${PW_PROXY:-127.0.0.1}
LOGS=${PW_LOGS:-}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failed=0

ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; failed=1; }
skip() { echo "skip  $*"; }
check() {  # check DESCRIPTION COMMAND...: ok when COMMAND succeeds
    what=$1; shift
    if "$@" >"$TMP/out" 2>&1; then ok "$what"; else bad "$what: $(tail -n 3 "$TMP/out" | tr '\n' ' ')"; fi
}
# The guide's `pw`: the CLI as the service user, with the environment file loaded.
pw() { runuser -u "$SERVICE_USER" -- sh -c 'set -a; . "$1"; set +a; v=$2; shift 2; exec "$v/bin/paperwire" "$@"' sh "$ENV_FILE" "$VENV" "$@"; }
status_of() { : >"$TMP/body"; : >"$TMP/head"; curl -s -o "$TMP/body" -D "$TMP/head" -w '%{http_code}' "$@"; }
is_json_lines() {  # every non-empty line of the files but the start-up banners is a JSON object
    "$VENV/bin/python" - "$@" <<'PY'
import json, sys
bad = []
for name in sys.argv[1:]:
    for number, line in enumerate(open(name, encoding="utf-8", errors="replace"), 1):
        if line.strip() and not line.startswith(("Paperwire at ", "worker ")):
            try:
                json.loads(line)
            except ValueError:
                bad.append(f"{name}:{number}: {line[:80]!r}")
print("\n".join(bad[:3]))
sys.exit(1 if bad else 0)
PY
}

# 1. The environment file: private, and readable by both systemd and sh.
if [ -f "$ENV_FILE" ]; then
    mode=$(stat -c '%a %U %G' "$ENV_FILE")
    [ "$mode" = "640 root $SERVICE_USER" ] && ok "$ENV_FILE is 0640 root:$SERVICE_USER" || bad "$ENV_FILE is $mode, not 640 root $SERVICE_USER"
    check "$ENV_FILE loads in sh (set -a; . FILE)" runuser -u "$SERVICE_USER" -- sh -c 'set -a; . "$1"' sh "$ENV_FILE"
    SITE_URL=$(runuser -u "$SERVICE_USER" -- sh -c '. "$1"; echo "${PAPERWIRE_SITE_URL:-}"' sh "$ENV_FILE" 2>/dev/null)
else
    bad "$ENV_FILE is missing"
    SITE_URL=
fi
SITE=$(echo "$SITE_URL" | sed -e 's|^[a-z]*://||' -e 's|[:/].*||')

# 2. The systemd units.
for unit in paperwire-web.service paperwire-worker@.service; do
    if [ -f "$UNITS/$unit" ]; then
        check "systemd-analyze verify $unit" systemd-analyze verify "$UNITS/$unit"
    else
        skip "$UNITS/$unit not installed"
    fi
done

# 3. The database, through the CLI.
check "paperwire status (database reachable, schema migrated)" pw status
if pw jobs list --json --limit 100 >"$TMP/jobs" 2>/dev/null && grep -q '"state": "done"' "$TMP/jobs"; then
    ok "paperwire jobs list shows jobs done by a worker"
else
    bad "paperwire jobs list shows no finished job (is a worker running?)"
fi

# 4. The web service itself.
[ "$(status_of "$UPSTREAM/healthz")" = 200 ] && ok "GET /healthz 200" || bad "GET $UPSTREAM/healthz did not answer 200"
code=$(status_of "$UPSTREAM/readyz")
[ "$code" = 200 ] && ok "GET /readyz 200: $(cat "$TMP/body")" || bad "GET /readyz $code: $(cat "$TMP/body")"
code=$(status_of "$UPSTREAM/search?q=neural+networks")
[ "$code" = 200 ] && grep -q 'href="/papers/' "$TMP/body" && ok "GET /search?q=neural+networks 200 with results" \
    || bad "GET /search?q=neural+networks $code, or no result (is the database empty?)"
status_of "$UPSTREAM/metrics" >/dev/null
grep -q '^paperwire_jobs{' "$TMP/body" && ok "GET /metrics has paperwire_jobs" || bad "GET /metrics has no paperwire_jobs"

# 5. Logs: JSON lines when PAPERWIRE_LOG_FORMAT=json.
if [ -n "$LOGS" ]; then
    # shellcheck disable=SC2086 # PW_LOGS is a list of files
    check "log lines in $LOGS are JSON objects" is_json_lines $LOGS
elif [ "$(systemctl is-system-running 2>/dev/null)" != offline ] && command -v journalctl >/dev/null; then
    journalctl -q -u paperwire-web -u 'paperwire-worker@*' -n 50 -o cat >"$TMP/journal" 2>/dev/null
    check "journald's last lines of the services are JSON objects" is_json_lines "$TMP/journal"
else
    skip "logs: systemd is not running here; give the captured standard error files in PW_LOGS"
fi

# 6. The proxy's configuration, and HTTPS through it.
if command -v nginx >/dev/null && [ -e /etc/nginx/sites-enabled/paperwire ]; then check "nginx -t" nginx -t; fi
if command -v caddy >/dev/null && [ -f /etc/caddy/Caddyfile ]; then
    check "caddy validate /etc/caddy/Caddyfile" caddy validate --config /etc/caddy/Caddyfile --adapter caddyfile
fi
if [ -z "$SITE" ]; then
    skip "HTTPS: no PAPERWIRE_SITE_URL"
elif ! curl -sk -o /dev/null --resolve "$SITE:443:$PROXY" "https://$SITE/healthz"; then
    skip "HTTPS: nothing answers on $PROXY:443"
else
    at="--resolve $SITE:443:$PROXY --resolve $SITE:80:$PROXY"
    # shellcheck disable=SC2086 # $at is two options
    code=$(status_of -k $at "https://$SITE/")
    [ "$code" = 200 ] && ok "GET https://$SITE/ through the proxy 200" || bad "GET https://$SITE/ through the proxy $code"
    if grep -i '^set-cookie: paperwire_session=' "$TMP/head" | grep -qi '; secure'; then
        ok "the session cookie is Secure"
    elif [ "${SITE_URL#https://}" != "$SITE_URL" ]; then
        bad "the session cookie is not Secure although PAPERWIRE_SITE_URL is https"
    else
        skip "session cookie: PAPERWIRE_SITE_URL is not https"
    fi
    # Starlette answers /search/ with an absolute redirect built from the scheme the app saw.
    # shellcheck disable=SC2086
    status_of -k $at "https://$SITE/search/" >/dev/null
    location=$(grep -i '^location:' "$TMP/head" | tr -d '\r' | cut -d' ' -f2)
    case $location in
        "https://$SITE/"*) ok "X-Forwarded-Proto reaches the app (redirect to $location)" ;;
        *) bad "the app does not see https behind the proxy (redirect to '$location'): FORWARDED_ALLOW_IPS?" ;;
    esac
    # shellcheck disable=SC2086
    code=$(status_of $at "http://$SITE/search?q=x")
    location=$(grep -i '^location:' "$TMP/head" | tr -d '\r' | cut -d' ' -f2)
    case "$code $location" in
        30[178]" https://$SITE/search?q=x") ok "http:// redirects to https:// ($code)" ;;
        *) bad "http://$SITE/search?q=x answered $code $location, not a redirect to https" ;;
    esac
    if [ "$PROXY" = 127.0.0.1 ]; then  # from another loopback address, which the proxy does not allow
        # shellcheck disable=SC2086
        code=$(status_of -k --interface 127.0.0.2 $at "https://$SITE/metrics")
        [ "$code" = 403 ] && ok "/metrics refused through the proxy to other clients (403)" \
            || bad "/metrics through the proxy answered $code to 127.0.0.2, not 403"
    fi
fi

[ "$failed" = 0 ] && echo "all checks passed" || echo "some checks failed"
exit "$failed"
