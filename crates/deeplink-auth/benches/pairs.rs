//! Issue+consume pairs per second per backend.

fn main() {}
