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
      # The local base and Redis images (no registry; cached): unless .env names other images.
      if [ -z "${BASE_IMAGE:-}" ]; then node scripts/build-images.mjs --base-only; fi
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

# Build the container images without a registry: the cached Node base and Redis images (root, debootstrap), then mcp-https-proxy:latest (docs/docker.md)
images *args:
    cd {{quote(root)}} && node scripts/build-images.mjs {{args}}

# Rebuild: the image (Compose) or dist/ (local), then restart
rebuild:
    #!/usr/bin/env bash
    set -euo pipefail
    cd {{quote(root)}}
    compose="$({{detect_compose}})"
    if [ -n "$compose" ] && [ ! -f {{quote(pidfile)}} ]; then
      if [ -z "${BASE_IMAGE:-}" ]; then node scripts/build-images.mjs --base-only; fi
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

# ---- Certificates ------------------------------------------------------------------------------
# `staging` is "staging", "production" or the https:// URL of any ACME directory.

# Order a certificate for one domain (then: just cert-status <name> 60)
cert-create name domain email="" token="" staging="":
    @{{cli}} cert create {{quote(domain)}} --cert-name {{quote(name)}} {{ if email != "" { "--email " + quote(email) } else { "" } }} {{ if staging != "" { "--acme-directory-url " + quote(staging) } else { "" } }} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Order one certificate for several comma-separated domains
cert-create-multi name domains email="" token="" staging="production":
    @{{cli}} cert create-multi {{quote(name)}} --domains {{quote(domains)}} --acme-directory-url {{quote(staging)}} {{ if email != "" { "--email " + quote(email) } else { "" } }} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# List certificates
cert-list token="":
    @{{cli}} cert list {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Show a certificate
cert-show name token="":
    @{{cli}} cert show {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Show a certificate's order status, waiting up to `wait` seconds for the order to finish
cert-status name wait="0" token="":
    @{{cli}} cert status {{quote(name)}} --wait {{quote(wait)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Renew a certificate now (force=force: even with more than 30 days left)
cert-renew name token="" force="":
    @{{cli}} cert renew {{quote(name)}} {{ if force != "" { "--force" } else { "" } }} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Re-order a staging certificate from the production directory
cert-convert-to-production name token="":
    @{{cli}} cert convert-to-production {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Delete a certificate
cert-delete name token="":
    @{{cli}} cert delete {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# ---- Proxy targets -----------------------------------------------------------------------------
# Recipes ending in *flags pass proxyctl options on, after the token ("" for the default one):
#   just proxy-create app.example.com http://127.0.0.1:3000 "" --redirect-http-to-https --custom-headers '{"X-Env":"prod"}'

# Create a proxy target (options: proxyctl proxy create --help)
[positional-arguments]
proxy-create hostname target_url token="" *flags:
    @shift 3; {{cli}} proxy create {{quote(hostname)}} {{quote(target_url)}} {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# List proxy targets
proxy-list token="":
    @{{cli}} proxy list {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Show a proxy target
proxy-show hostname token="":
    @{{cli}} proxy show {{quote(hostname)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Change a proxy target (options: proxyctl proxy update --help)
[positional-arguments]
proxy-update hostname token="" *flags:
    @shift 2; {{cli}} proxy update {{quote(hostname)}} {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# Delete a proxy target (delete_cert=true also deletes its certificate)
proxy-delete hostname token="" delete_cert="false":
    @{{cli}} proxy delete {{quote(hostname)}} --delete-certificate={{quote(delete_cert)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Serve an existing certificate (e.g. a multi-domain one) for a proxy target
proxy-cert-attach hostname cert_name token="":
    @{{cli}} proxy cert-attach {{quote(hostname)}} {{quote(cert_name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Show which routes apply to a proxy target
proxy-routes-show hostname token="":
    @{{cli}} proxy routes {{quote(hostname)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Set a proxy target's route mode: all, selective or none (--enabled-routes/--disabled-routes ids as flags)
[positional-arguments]
proxy-routes-mode hostname mode token="" *flags:
    @shift 3; {{cli}} proxy routes-set {{quote(hostname)}} {{quote(mode)}} {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# Use one route on a proxy target
proxy-routes-enable hostname route_id token="":
    @{{cli}} proxy route-enable {{quote(hostname)}} {{quote(route_id)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Stop using one route on a proxy target
proxy-routes-disable hostname route_id token="":
    @{{cli}} proxy route-disable {{quote(hostname)}} {{quote(route_id)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# ---- Target protection and the resource registry -----------------------------------------------
#   just proxy-auth-enable mcp.example.com "" "" forward --required-users alice,bob
#   just proxy-auth-enable mcp.example.com "" "" forward --required-orgs acme --required-teams acme/platform
#   just proxy-auth-members mcp.example.com acme acme/platform,acme/sre
#   just proxy-resource-set mcp.example.com "" --endpoint /mcp --scopes mcp:read,mcp:write

# Protect a proxy target with OAuth: mode forward (bearer token), redirect (browser sign-in) or passthrough; more settings as flags (--required-users, --required-orgs, --required-teams...: proxyctl proxy auth-set --help)
[positional-arguments]
proxy-auth-enable hostname token="" auth_proxy="" mode="forward" *flags:
    @shift 4; {{cli}} proxy auth-set {{quote(hostname)}} --mode {{quote(mode)}} {{ if auth_proxy != "" { "--auth-proxy " + quote(auth_proxy) } else { "" } }} {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# Turn a proxy target's protection off
proxy-auth-disable hostname token="":
    @{{cli}} proxy auth-delete {{quote(hostname)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Change only the given protection settings, e.g. --required-users alice --excluded-paths /health
[positional-arguments]
proxy-auth-config hostname token="" *flags:
    @shift 2; {{cli}} proxy auth-config {{quote(hostname)}} {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# Admit the members of GitHub organisations and teams (organisation/team-slug), comma-separated; changes only these two lists ("" empties one)
proxy-auth-members hostname orgs="" teams="" token="":
    @{{cli}} proxy auth-config {{quote(hostname)}} --required-orgs {{quote(orgs)}} --required-teams {{quote(teams)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Show a proxy target's protection settings
proxy-auth-show hostname token="":
    @{{cli}} proxy auth-show {{quote(hostname)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Publish resource metadata for an endpoint of a proxy target (--endpoint /mcp --scopes ... --name ...)
[positional-arguments]
proxy-resource-set hostname token="" *flags:
    @shift 2; {{cli}} proxy resource-set {{quote(hostname)}} {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# Show a proxy target's resources
proxy-resource-show hostname token="":
    @{{cli}} proxy resource-show {{quote(hostname)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Delete a proxy target's resources
proxy-resource-clear hostname token="":
    @{{cli}} proxy resource-clear {{quote(hostname)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# List the resources of all proxy targets (the registry)
[positional-arguments]
proxy-resource-list token="" *flags:
    @shift 1; {{cli}} resource list {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# Register a protected resource (uri: e.g. https://mcp.example.com/mcp; flags: --scopes, --description, --resource-documentation)
[positional-arguments]
resource-register uri name proxy_target token="" *flags:
    @shift 4; {{cli}} resource create {{quote(uri)}} {{quote(name)}} {{quote(proxy_target)}} {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# List registered resources
[positional-arguments]
resource-list token="" *flags:
    @shift 1; {{cli}} resource list {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# Show a registered resource
resource-show id token="":
    @{{cli}} resource show {{quote(id)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Delete a registered resource
resource-delete id token="":
    @{{cli}} resource delete {{quote(id)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Check a resource end to end (target, auth, metadata, challenge, MCP initialize); fails naming the first problem
resource-validate id token="":
    @{{cli}} resource validate {{quote(id)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Register protected targets without an entry from their backend's own resource metadata
resource-discover token="":
    @{{cli}} resource discover {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Show the MCP policy of a registered resource: default and rules in order (404 when it has none)
resource-policy-show id token="":
    @{{cli}} resource policy-show {{quote(id)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Set (replace) the MCP policy of a registered resource; rules: a JSON array or @file (flags: --default deny, --metric-names)
#   just resource-policy-set res_0123 '[{"id":"writes","method":"tools/call","name":"write_*","scopes":["mcp:write"]}]'
[positional-arguments]
resource-policy-set id rules token="" *flags:
    @shift 3; {{cli}} resource policy-set {{quote(id)}} --rules {{quote(rules)}} {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# Remove the MCP policy of a registered resource: every MCP call is allowed again
resource-policy-clear id token="":
    @{{cli}} resource policy-clear {{quote(id)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# ---- Rate limits (docs/rate-limits.md) ---------------------------------------------------------
#   just target-rate-limits-set api.example.com '[{"per":"user","limit":60,"window":"1m"}]'
# Limits of MCP rules go in the policy (resource-policy-set); global ones in RATE_LIMITS.

# Every rate limit in force that you may see: global (RATE_LIMITS), per target and per MCP rule, with their Redis keys
rate-limits token="":
    @{{cli}} rate-limits show {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Show a proxy target's rate limits
target-rate-limits-show hostname token="":
    @{{cli}} target rate-limits-show {{quote(hostname)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Set (replace) a proxy target's rate limits: a JSON array of {per: user|client|address, limit, window} or @file
target-rate-limits-set hostname limits token="":
    @{{cli}} target rate-limits-set {{quote(hostname)}} {{quote(limits)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Remove a proxy target's rate limits
target-rate-limits-clear hostname token="":
    @{{cli}} target rate-limits-clear {{quote(hostname)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# ---- Routes ------------------------------------------------------------------------------------
# target_type: instance, port, hostname or url. Higher priority (0-999, default 50) is tried first.

# Create a route (options: proxyctl route create --help)
[positional-arguments]
route-create path target_type target_value token="" priority="50" *flags:
    @shift 5; {{cli}} route create {{quote(path)}} {{quote(target_type)}} {{quote(target_value)}} --priority {{quote(priority)}} {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# Create a route that applies on every proxy target
[positional-arguments]
route-create-global path target_type target_value token="" priority="50" *flags:
    @shift 5; {{cli}} route create-global {{quote(path)}} {{quote(target_type)}} {{quote(target_value)}} --priority {{quote(priority)}} {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# Create a route for some proxy targets (comma-separated hostnames)
[positional-arguments]
route-create-proxy path target_type target_value proxies token="" priority="50" *flags:
    @shift 6; {{cli}} route create-proxy {{quote(path)}} {{quote(target_type)}} {{quote(target_value)}} --proxy-hostnames {{quote(proxies)}} --priority {{quote(priority)}} {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# List routes, highest priority first
route-list token="":
    @{{cli}} route list {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Show a route
route-show route_id token="":
    @{{cli}} route show {{quote(route_id)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Change a route (options: proxyctl route update --help)
[positional-arguments]
route-update route_id token="" *flags:
    @shift 2; {{cli}} route update {{quote(route_id)}} {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# Delete a route
route-delete route_id token="":
    @{{cli}} route delete {{quote(route_id)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# ---- Instances ---------------------------------------------------------------------------------

# Register a named backend that routes can target
instance-register name target_url token="" description="":
    @{{cli}} instance create {{quote(name)}} {{quote(target_url)}} {{ if description != "" { "--description " + quote(description) } else { "" } }} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# List instances
instance-list token="":
    @{{cli}} instance list {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Show an instance
instance-show name token="":
    @{{cli}} instance show {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Delete an instance
instance-delete name token="":
    @{{cli}} instance delete {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# ---- Docker services ---------------------------------------------------------------------------

# Create and start a Docker service (options: proxyctl service create --help)
[positional-arguments]
service-create name image token="" *flags:
    @shift 3; {{cli}} service create {{quote(name)}} {{quote(image)}} {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# List Docker services
service-list token="":
    @{{cli}} service list {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Show a service
service-show name token="":
    @{{cli}} service show {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Delete a service with its container, ports and proxy target
[positional-arguments]
service-delete name token="" *flags:
    @shift 2; {{cli}} service delete {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# Start a service
service-start name token="":
    @{{cli}} service start {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Stop a service
service-stop name token="":
    @{{cli}} service stop {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Restart a service
service-restart name token="":
    @{{cli}} service restart {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# The last `lines` log lines of a service (follow=follow keeps printing until Ctrl-C)
service-logs name lines="100" token="" follow="":
    @{{cli}} service {{ if follow != "" { "logs-follow" } else { "logs" } }} {{quote(name)}} --tail {{quote(lines)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# CPU, memory, network and I/O of a service
service-stats name token="":
    @{{cli}} service stats {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Publish a service as <name>.<BASE_DOMAIN>
service-proxy-create name token="":
    @{{cli}} service proxy {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Remove containers and ports no service owns any more
service-cleanup token="":
    @{{cli}} service cleanup {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Publish one more container port of a service (host port allocated unless --host)
[positional-arguments]
service-port-add name port_name container token="" *flags:
    @shift 4; {{cli}} service port-add {{quote(name)}} {{quote(port_name)}} --container {{quote(container)}} {{ if token != "" { "--token " + quote(token) } else { "" } }} "$@"

# Stop publishing a port of a service
service-port-remove name port_name token="":
    @{{cli}} service port-remove {{quote(name)}} {{quote(port_name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# List the ports of a service
service-port-list name token="":
    @{{cli}} service ports {{quote(name)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Whether a host port is free (bind: 127.0.0.1 or 0.0.0.0)
service-port-check port token="" bind="127.0.0.1":
    @{{cli}} port check {{quote(port)}} --bind-address {{quote(bind)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# ---- OAuth -------------------------------------------------------------------------------------

# Pre-register an OAuth client (scope: space-separated); its secret is shown once
oauth-client-register name redirect_uri scope="" token="":
    @{{cli}} oauth-client register {{quote(name)}} --redirect-uris {{quote(redirect_uri)}} {{ if scope != "" { "--scope " + quote(scope) } else { "" } }} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# List OAuth clients
oauth-clients-list token="":
    @{{cli}} oauth-client list {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Delete an OAuth client and revoke its sessions
oauth-client-delete client_id token="":
    @{{cli}} oauth-client delete {{quote(client_id)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# List OAuth sessions (user: a GitHub login, to narrow)
oauth-sessions-list user="" token="":
    @{{cli}} oauth-session list {{ if user != "" { "--user " + quote(user) } else { "" } }} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Revoke one OAuth session with its tokens
oauth-session-revoke session_id token="":
    @{{cli}} oauth-session revoke {{quote(session_id)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# List unexpired OAuth access tokens (user: a GitHub login, to narrow)
oauth-token-list user="" token="":
    @{{cli}} oauth-token list {{ if user != "" { "--user " + quote(user) } else { "" } }} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Counts of OAuth clients, sessions, users and tokens
oauth-metrics token="":
    @{{cli}} oauth metrics {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Print a new RSA signing key as base64 PEM, for OAUTH_JWT_PRIVATE_KEY_B64 in .env
oauth-key-generate:
    @node -e "const c = require('node:crypto'); const pem = c.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }); console.log(Buffer.from(pem).toString('base64'))"

# ---- Request log -------------------------------------------------------------------------------
# Log recipes use PROXY_API_{{ if token != "" { "--token " + quote(token) } else { "" } }} / ADMIN_{{ if token != "" { "--token " + quote(token) } else { "" } }}; *flags are proxyctl filters (proxyctl logs search --help).

# Search the request log (query: free text)
[positional-arguments]
logs-search query="" hours="24" limit="100" *flags:
    @shift 3; {{cli}} logs search {{ if query != "" { "--q " + quote(query) } else { "" } }} --hours {{quote(hours)}} --limit {{quote(limit)}} "$@"

# Requests from one client IP
logs-ip ip hours="24" limit="100":
    @{{cli}} logs ip {{quote(ip)}} --hours {{quote(hours)}} --limit {{quote(limit)}}

# Requests for one host
logs-host hostname hours="24" limit="100":
    @{{cli}} logs host {{quote(hostname)}} --hours {{quote(hours)}} --limit {{quote(limit)}}

# Requests for one proxy target (same as logs-host)
logs-proxy hostname hours="24" limit="100":
    @{{cli}} logs host {{quote(hostname)}} --hours {{quote(hours)}} --limit {{quote(limit)}}

# Requests of one OAuth client
logs-client client_id hours="24" limit="100":
    @{{cli}} logs client {{quote(client_id)}} --hours {{quote(hours)}} --limit {{quote(limit)}}

# MCP requests by authorization decision (allowed, denied-scope, denied-identity, rate-limited) and policy rule id
logs-mcp decision="" rule="" hours="24" limit="100":
    @{{cli}} logs search {{ if decision != "" { "--decision " + quote(decision) } else { "" } }} {{ if rule != "" { "--mcp-rule " + quote(rule) } else { "" } }} --hours {{quote(hours)}} --limit {{quote(limit)}}

# MCP activity (window 1h or 24h): calls per decision, the most called tools, busiest users, rules that denied most
logs-mcp-activity window="1h" hostname="":
    @{{cli}} logs mcp --window {{quote(window)}} {{ if hostname != "" { "--hostname " + quote(hostname) } else { "" } }}

# Requests answered 400 or more, or failed by the proxy
logs-errors hours="1" limit="100":
    @{{cli}} logs errors --hours {{quote(hours)}} --limit {{quote(limit)}}

# Print requests as they are answered, until Ctrl-C (filters as flags: just logs-follow --hostname app.example.com)
[positional-arguments]
logs-follow *flags:
    @{{cli}} logs follow "$@"

# OAuth activity (ip: only from this client IP)
logs-oauth ip="" hours="24" limit="100":
    @{{cli}} logs oauth {{ if ip != "" { "--ip " + quote(ip) } else { "" } }} --hours {{quote(hours)}} --limit {{quote(limit)}}

# An OAuth flow step by step, for a client id or a client IP, and where it stopped
logs-oauth-flow id hours="24":
    @{{cli}} logs oauth-flow {{ if id =~ '^[0-9.]+$|:' { "--ip " + quote(id) } else { "--client-id " + quote(id) } }} --hours {{quote(hours)}}

# Per host: requests, status classes, error rate, latency percentiles
logs-stats hours="24":
    @{{cli}} logs stats --hours {{quote(hours)}}

# Delete the whole request log (admin)
logs-clear:
    @{{cli}} logs clear

# ---- Workflow bus (admin) ----------------------------------------------------------------------

# Recent workflow events, newest first (type: only this event type, e.g. proxy.created)
workflow-events limit="50" type="" token="":
    @{{cli}} workflow events --limit {{quote(limit)}} {{ if type != "" { "--type " + quote(type) } else { "" } }} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Events a worker gave up on (dead letters)
workflow-dead-letters token="":
    @{{cli}} workflow dead-letters {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Run a dead letter's event again and remove the dead letter
workflow-retry id token="":
    @{{cli}} workflow retry {{quote(id)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# Drop a dead letter
workflow-discard id token="":
    @{{cli}} workflow discard {{quote(id)}} {{ if token != "" { "--token " + quote(token) } else { "" } }}

# ---- Overview ----------------------------------------------------------------------------------

# How many of each resource exist, OAuth counts, and the last hour's traffic per host
stats:
    #!/usr/bin/env bash
    set -euo pipefail
    count() { {{cli}} "$@" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).length))'; }
    printf '%-16s %s\n' tokens "$(count token list)" "proxy targets" "$(count proxy list)" certificates "$(count cert list)" routes "$(count route list)" resources "$(count resource list)" instances "$(count instance list)" services "$(count service list)" ports "$(count port list)"
    echo; {{cli}} oauth metrics
    echo; {{cli}} logs stats --hours 1

# Remove containers and port allocations that no service owns any more
cleanup-orphaned:
    @{{cli}} service cleanup

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

