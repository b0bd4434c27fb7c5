//! The app's entry point, built by Trunk.

fn main() {
    doorstep_app::start();
}
