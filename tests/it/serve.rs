//! `herald serve` answers its health endpoints.
