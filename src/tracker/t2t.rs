//! T2T (placeholder).
