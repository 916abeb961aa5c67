//! The browser entry point: it only mounts the app.

fn main() {
    brokerlab::start();
}
