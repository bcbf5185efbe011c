"""The demo world and the local production layout: trying the registry as it would really run.

- `world.json`: the data file. Real programmes, categories, crosswalk codes and mutual-recognition
  agreements (each with its source; assumptions listed as `unconfirmed`), organisations and supply
  chains, and the parameters of 5,000+ generated certificates. It is demo data and says so.
- `loader.load`: puts the world into a registry through the same service functions the HTTP endpoints
  call, with demo keys generated locally (`keys`), so every document is signed, verified and logged;
  idempotent. `ecolabel-registry demo` runs it; `make run` runs that before serving.
- `layout`: several `serve` processes and the webhook worker on PostgreSQL, as docs/DEPLOYMENT.md
  describes (`ecolabel-registry layout`, `make layout`).

Modules: `spec` (the file's shape), `identifiers`, `holders`, `history` and `generate` (deterministic
data), `signing` and `keys` (demo secrets), `programmes`, `certificates`, `parallel`, `agreements` and
`supply` (one loading step each), `repository` (the reads that make reruns add nothing), `outcome`
(reports), `commands` (the CLI).
"""
