//! What lessons embed, loaded on demand: these modules are reached only from
//! `crate::engines`, so they link into the `brokerlab-engines` wasm module
//! and never into the shell. `live` is a lesson's preset scenario, stepped
//! on the engines or shown on the playground's compact canvas, with
//! `predict`, the questions it asks before its decisive steps; `labs` holds
//! the pattern labs, one module per lab, and the side-by-side comparison of
//! one workload on both brokers.

#[cfg(test)]
mod instructions;
pub mod labs;
pub mod live;
pub mod panel;
pub mod predict;
