//! Target-level tests on small resolved models (the example platforms are exercised by
//! `tests/` once they are on main).
