//! The join link as a QR code for the projector: the modules drawn as one SVG path.

use qrcode::{Color, QrCode};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct QrProps {
    pub text: AttrValue,
}

#[function_component(Qr)]
pub fn qr(props: &QrProps) -> Html {
    let Ok(code) = QrCode::new(props.text.as_bytes()) else {
        return html! {};
    };
    let width = code.width();
    let colors = code.to_colors();
    let mut path = String::new();
    for (at, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            path.push_str(&format!("M{} {}h1v1h-1z", at % width + 4, at / width + 4));
        }
    }
    let size = width + 8;
    html! {
        <svg class="room-qr" viewBox={format!("0 0 {size} {size}")} role="img"
            aria-label={format!("QR code of {}", props.text)} data-testid="room-qr">
            <rect width={size.to_string()} height={size.to_string()} fill="#fff" />
            <path d={path} fill="#000" />
        </svg>
    }
}
