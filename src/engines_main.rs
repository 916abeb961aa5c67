//! The engines module: fetched by the shell the first time a page shows a
//! live panel, a lab or the playground (see `brokerlab::island`). Its start
//! function only installs the panic notice; the shell calls `mount` and
//! `unmount`.

use wasm_bindgen::prelude::*;

fn main() {
    brokerlab::crash::install();
}

/// Mounts an island of `kind` into `host`; returns its handle.
#[wasm_bindgen]
pub fn mount(kind: &str, host: web_sys::HtmlElement, arg: &str) -> u32 {
    brokerlab::engines::mount(kind, host, arg)
}

/// Unmounts the island with this handle.
#[wasm_bindgen]
pub fn unmount(id: u32) {
    brokerlab::engines::unmount(id);
}
