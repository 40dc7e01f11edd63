//! The page's entry point: mounts the Yew app.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    yew::Renderer::<agora_app::ui::App>::new().render();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("Agora runs in a browser: build it with `trunk build` (see README.md).");
}
