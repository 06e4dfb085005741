//! Aggregation (placeholder).
