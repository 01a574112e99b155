//! Small poster images for the simulated services, so the app shows posters
//! without reaching TMDB: Seerr's image proxy, the *arrs' media covers and
//! Jellyfin's item images all serve one of these (a PNG drawn from a seed:
//! a two-colour gradient, a disc and a darker band, different per title).

/// Width and height of a simulated poster, in pixels (2:3, like TMDB's).
pub(crate) const WIDTH: u32 = 92;
pub(crate) const HEIGHT: u32 = 138;

/// A PNG poster for `seed` (a TMDB id, an *arr id...): the same seed always
/// draws the same picture. Empty if encoding fails (it does not, in memory).
pub(crate) fn poster_png(seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED);
    let hue = rng.f32();
    let top = hsl(hue, 0.55, 0.55);
    let bottom = hsl((hue + 0.12) % 1.0, 0.6, 0.22);
    let disc = hsl((hue + 0.5) % 1.0, 0.7, 0.75);
    let (cx, cy) = (
        WIDTH as f32 * (0.3 + 0.4 * rng.f32()),
        HEIGHT as f32 * (0.25 + 0.2 * rng.f32()),
    );
    let radius = WIDTH as f32 * (0.18 + 0.12 * rng.f32());
    let band = HEIGHT * 3 / 4;
    let mut pixels = Vec::with_capacity((WIDTH * HEIGHT * 3) as usize);
    for y in 0..HEIGHT {
        let t = y as f32 / (HEIGHT - 1) as f32;
        for x in 0..WIDTH {
            let (dx, dy) = (x as f32 - cx, y as f32 - cy);
            let mut c = if dx * dx + dy * dy <= radius * radius {
                disc
            } else {
                mix(top, bottom, t)
            };
            if y >= band {
                c = mix(c, [0.0, 0.0, 0.0], 0.55);
            }
            pixels.extend(
                c.iter()
                    .map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8),
            );
        }
    }
    encode(&pixels).unwrap_or_default()
}

/// A 200 answer with [`poster_png`] of `seed`.
pub(crate) fn png_response(seed: u64) -> axum::response::Response {
    let mut r = axum::response::Response::new(axum::body::Body::from(poster_png(seed)));
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("image/png"),
    );
    r
}

fn encode(rgb: &[u8]) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

/// HSL (all in 0..1) to RGB (0..1).
fn hsl(h: f32, s: f32, l: f32) -> [f32; 3] {
    let q = if l < 0.5 {
        l * (1.0 + s)
    } else {
        l + s - l * s
    };
    let p = 2.0 * l - q;
    let channel = |t: f32| {
        let t = t.rem_euclid(1.0);
        if t < 1.0 / 6.0 {
            p + (q - p) * 6.0 * t
        } else if t < 0.5 {
            q
        } else if t < 2.0 / 3.0 {
            p + (q - p) * (2.0 / 3.0 - t) * 6.0
        } else {
            p
        }
    };
    [channel(h + 1.0 / 3.0), channel(h), channel(h - 1.0 / 3.0)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poster_is_a_small_png_and_the_same_seed_draws_the_same_one() {
        let a = poster_png(693134);
        assert!(a.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
        assert!(a.len() < 16 * 1024, "small: {} bytes", a.len());
        assert_eq!(a, poster_png(693134));
        assert_ne!(a, poster_png(129));
    }
}
