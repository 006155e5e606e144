//! `herald check-config`: summary, warnings, `--strict`, and exit status.
