//! `tgauth link qr`: a link as a QR code, drawn in the terminal with half-block characters and
//! optionally written as a grayscale PNG.

use std::path::Path;

use qrcode::{Color, QrCode};

/// Pixels per QR module in the PNG.
const SCALE: usize = 8;
/// Quiet zone around the code, in modules (the standard asks for 4).
const QUIET: usize = 4;

/// Renders `url` as text to print, and writes the PNG when asked. With `light_terminal` dark
/// modules are drawn as ink; otherwise light ones are (for light text on a dark background),
/// so that the code shows dark on light either way, as scanners expect.
pub(crate) fn qr(url: &str, png: Option<&Path>, light_terminal: bool) -> Result<String, String> {
    let code = QrCode::new(url.as_bytes()).map_err(|e| format!("cannot encode the link: {e}"))?;
    let width = code.width();
    let modules = code.to_colors();
    let dark = |x: usize, y: usize| -> bool {
        x >= QUIET
            && y >= QUIET
            && x - QUIET < width
            && y - QUIET < width
            && modules.get((y - QUIET) * width + (x - QUIET)) == Some(&Color::Dark)
    };
    let side = width + 2 * QUIET;
    // Two rows of modules per text line, with half-block characters. The odd last row is
    // padded with light modules.
    let ink = |x: usize, y: usize| -> bool {
        let light = y >= side || !dark(x, y);
        if light_terminal { !light } else { light }
    };
    let mut art = String::new();
    for row in (0..side).step_by(2) {
        for x in 0..side {
            art.push(match (ink(x, row), ink(x, row + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        art.push('\n');
    }
    art.pop();
    if let Some(path) = png {
        write_png(path, side, &dark)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(art)
}

fn write_png(path: &Path, side: usize, dark: &dyn Fn(usize, usize) -> bool) -> Result<(), String> {
    let pixels = side * SCALE;
    let size = u32::try_from(pixels).map_err(|_| "QR code too large".to_owned())?;
    let mut data = Vec::with_capacity(pixels * pixels);
    for y in 0..pixels {
        for x in 0..pixels {
            data.push(if dark(x / SCALE, y / SCALE) {
                0_u8
            } else {
                255_u8
            });
        }
    }
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), size, size);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&data).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())
}
