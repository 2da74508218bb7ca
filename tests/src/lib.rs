//! End-to-end tests across the LKN crates live in `tests/e2e`; this library is empty.
