//! End-to-end tests of flows that cross crate boundaries, through the `tgauth` umbrella crate.
