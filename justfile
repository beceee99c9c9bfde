# Operator recipes: thin wrappers over proxyctl (the CLI, dist/apps/cli/main.js) and Docker Compose.
# `npx just` (or `npm exec just`) runs them; `just help` lists them. The API URL and token come
# from PROXY_API_URL / PROXY_API_TOKEN / ADMIN_TOKEN (also read from .env, or from
# data/dev-secrets.env after `npm start`); token recipes also take the token as a last argument, as
# the original system's did: `just token-list acm_...`.

set dotenv-load := true
set shell := ["bash", "-euo", "pipefail", "-c"]

root := justfile_directory()
cli := "node " + quote(root / "dist/apps/cli/main.js")
# The admin token: ADMIN_TOKEN from the environment or .env, else the development one `npm start`
# generated. Not exported as ADMIN_TOKEN (an empty value would hide npm start's own). Empty
# variables count as unset, as they do for the server (a copied .env.example has them).
env_admin_token := env("ADMIN_TOKEN", "")
admin_token := if env_admin_token != "" { env_admin_token } else { `sed -n 's/^ADMIN_TOKEN=//p' data/dev-secrets.env 2>/dev/null || true` }
# What proxyctl authenticates with: PROXY_API_TOKEN when set, else the admin token.
env_api_token := env("PROXY_API_TOKEN", "")
export PROXY_API_TOKEN := if env_api_token != "" { env_api_token } else { admin_token }
# Prints the Compose command when a Docker Engine answers (plugin "docker compose", else Debian's
# "docker-compose"), nothing otherwise or when PROXY_UP_MODE=local. Run inside recipes, so other
# recipes never wait for Docker.
detect_compose := 'if [ "${PROXY_UP_MODE:-}" = local ]; then :; elif docker compose version >/dev/null 2>&1 && docker info >/dev/null 2>&1; then echo "docker compose"; elif command -v docker-compose >/dev/null 2>&1 && docker info >/dev/null 2>&1; then echo docker-compose; fi'
# The admin API: PROXY_API_URL, else the loopback listener on API_PORT (default 9000).
env_api_url := env("PROXY_API_URL", "")
env_api_port := env("API_PORT", "")
export PROXY_API_URL := if env_api_url != "" { env_api_url } else { "http://127.0.0.1:" + if env_api_port != "" { env_api_port } else { "9000" } }
pidfile := root / "data/server.pid"
logfile := root / "data/server.log"

# ---- System -----------------------------------------------------------------------------------

# List the recipes
help:
    @{{just_executable()}} --justfile {{quote(justfile())}} --list --unsorted

# Start: Docker Compose (server + Redis) when a Docker Engine answers, else `npm start` in the background (PROXY_UP_MODE=local forces that)
up:
    #!/usr/bin/env bash
    set -euo pipefail
    cd {{quote(root)}}
    compose="$({{detect_compose}})"
    if [ -n "$compose" ] && [ ! -f {{quote(pidfile)}} ]; then
      $compose up -d --build
    else
      if [ -f {{quote(pidfile)}} ] && kill -0 "$(cat {{quote(pidfile)}})" 2>/dev/null; then
        echo "already running (pid $(cat {{quote(pidfile)}})); logs: just logs"; exit 0
      fi
      echo "Starting with npm start in the background (no Docker Engine, or PROXY_UP_MODE=local); log: data/server.log"
      mkdir -p data
      nohup node scripts/start.mjs > {{quote(logfile)}} 2>&1 &
      echo $! > {{quote(pidfile)}}
    fi
    for i in $(seq 1 120); do
      if {{cli}} health >/dev/null 2>&1; then {{cli}} health; exit 0; fi
      if [ -f {{quote(pidfile)}} ] && ! kill -0 "$(cat {{quote(pidfile)}})" 2>/dev/null; then
        echo "the server stopped; last lines of data/server.log:"; tail -n 20 {{quote(logfile)}}; rm -f {{quote(pidfile)}}; exit 1
      fi
      sleep 1
    done
    echo "the server did not answer /health within 120 s (see: just logs)"; exit 1

# Stop what `just up` started
down:
    #!/usr/bin/env bash
    set -euo pipefail
    cd {{quote(root)}}
    compose="$({{detect_compose}})"
    if [ -f {{quote(pidfile)}} ]; then
      pid="$(cat {{quote(pidfile)}})"
      if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      fi
      rm -f {{quote(pidfile)}}
      echo "stopped"
    elif [ -n "$compose" ]; then
      $compose down
    else
      echo "nothing to stop (no data/server.pid and no Docker Engine)"
    fi

# Stop, then start
restart: down up

# Rebuild: the image (Compose) or dist/ (local), then restart
rebuild:
    #!/usr/bin/env bash
    set -euo pipefail
    cd {{quote(root)}}
    compose="$({{detect_compose}})"
    if [ -n "$compose" ] && [ ! -f {{quote(pidfile)}} ]; then
      $compose build && $compose up -d
    else
      npx nest build server && npx nest build cli && npx nest build mcp-echo
      {{just_executable()}} --justfile {{quote(justfile())}} restart
    fi

# Follow the server log (last `lines` lines first)
logs lines="100":
    #!/usr/bin/env bash
    set -euo pipefail
    cd {{quote(root)}}
    compose="$({{detect_compose}})"
    if [ -f {{quote(pidfile)}} ] || [ -z "$compose" ]; then
      tail -n {{lines}} -f {{quote(logfile)}}
    else
      $compose logs -f --tail={{lines}} proxy
    fi

# Health of the server and Redis (exit 1 when degraded)
health:
    @{{cli}} health

# A shell in the server container (Compose only)
shell:
    #!/usr/bin/env bash
    set -euo pipefail
    cd {{quote(root)}}
    compose="$({{detect_compose}})"
    if [ -z "$compose" ]; then echo "just shell needs Docker Compose; locally the server is a plain process"; exit 2; fi
    $compose exec proxy sh

# redis-cli on the server's Redis (args passed on: just redis-cli info memory)
redis-cli *args:
    #!/usr/bin/env bash
    set -euo pipefail
    cd {{quote(root)}}
    compose="$({{detect_compose}})"
    if [ -f {{quote(pidfile)}} ] || [ -z "$compose" ]; then
      url="${REDIS_URL:-$(sed -n 's/^Private Redis on \(redis:[^ ]*\).*/\1/p' {{quote(logfile)}} 2>/dev/null | tail -n 1)}"
      if [ -z "$url" ]; then echo "no REDIS_URL and no private Redis in data/server.log (start with: just up)"; exit 2; fi
      if [ -n "${REDIS_PASSWORD:-}" ]; then export REDISCLI_AUTH="$REDIS_PASSWORD"; fi
      redis-cli -u "$url" {{args}}
    else
      $compose exec redis redis-cli {{args}}
    fi

# Run the test suite (args go to jest: just test test/operator)
test *args:
    cd {{quote(root)}} && npm test -- {{args}}

# Run the whole test suite
test-all:
    cd {{quote(root)}} && npm test

# ---- API tokens -------------------------------------------------------------------------------

# Print a new random admin token for ADMIN_TOKEN in .env
generate-admin-token:
    @node -e "console.log('acm_' + require('node:crypto').randomBytes(32).toString('base64url'))"

# Print fresh production secrets as .env lines (ADMIN_TOKEN, REDIS_PASSWORD, encryption and signing keys)
generate-secrets:
    @node -e "const c = require('node:crypto'); const pem = c.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }); console.log(['ADMIN_TOKEN=acm_' + c.randomBytes(32).toString('base64url'), 'REDIS_PASSWORD=' + c.randomBytes(32).toString('hex'), 'STORAGE_ENCRYPTION_KEY=' + c.randomBytes(32).toString('base64'), 'OAUTH_JWT_PRIVATE_KEY_B64=' + Buffer.from(pem).toString('base64')].join('\n'))"

# Show the identity of the admin token in use
token-admin:
    @{{cli}} token me --token {{quote(admin_token)}}

# Create an API token (its value is printed once)
token-generate name email="" token="":
    @{{cli}} token create {{quote(name)}} {{ if email != "" { "--cert-email " + quote(email) } else { "" } }} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# List API tokens with what they own
token-list token="":
    @{{cli}} token list {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Show one API token
token-show name token="":
    @{{cli}} token show {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Delete an API token and everything it owns
token-delete name token="":
    @{{cli}} token delete {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Replace an API token's value (the new one is printed once)
token-rotate name token="":
    @{{cli}} token rotate {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Set the certificate e-mail of the calling token
token-email email token="":
    @{{cli}} token email {{quote(email)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# ---- MCP ----------------------------------------------------------------------------------------

# Start the example MCP echo servers and publish them behind GitHub login, printing client configuration (idempotent; args go to proxyctl, e.g. --base-domain example.com --users alice)
mcp-echo-setup *args:
    #!/usr/bin/env bash
    set -euo pipefail
    cd {{quote(root)}}
    if [ ! -f dist/apps/mcp-echo/main.js ]; then npx nest build mcp-echo; fi
    {{cli}} mcp echo-setup {{args}}

# Stop the echo servers mcp-echo-setup started (data/mcp-echo-*.pid)
mcp-echo-stop:
    @{{cli}} mcp echo-stop

# ---- More groups ------------------------------------------------------------------------------
# Each API resource gets its recipes here as it lands in the CLI (apps/cli/src/commands.ts), e.g.
#   proxy-create hostname target_url token="":
#       {{cli}} proxy create {{quote(hostname)}} {{quote(target_url)}} ...
# Recipe names follow the original system's (cert-*, proxy-*, route-*, instance-*, service-*, oauth-*).
