//! The frame of every page: the style sheet (inline, no CDN) and the bar with the menu and the
//! sign-out button. The sign-in page and the admin pages are drawn inside it, as maud templates
//! that escape every value they are given.
//!
//! It owns the look shared by all pages and the words of the bar, in the staff's language; it
//! must not know what a page shows nor who is signed in beyond the CSRF token its sign-out form
//! carries.

use loket_protocol::i18n::tr;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::admin::CSRF_FIELD;

const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1c2733;background:#f3f5f8}
header.top{background:#12355b;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}
header.top .brand{font-weight:700;font-size:1.1rem;margin-right:auto}
header.top a{color:#fff;text-decoration:none;padding:.2rem .1rem;border-bottom:2px solid transparent}
header.top a[aria-current]{border-bottom-color:#ffd166}
header.top form{margin:0}
header.top button{background:transparent;border:1px solid #8fb3d9;color:#fff;padding:.25rem .7rem}
main{max-width:1200px;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.2rem 0 .8rem}
h2{font-size:1.15rem;margin:0 0 .6rem}
.card{background:#fff;border:1px solid #d9e0e8;border-radius:10px;padding:1rem;margin-bottom:1rem}
.narrow{max-width:26rem;margin:3rem auto}
.stack{display:flex;flex-direction:column;gap:.8rem}
.stack>button{align-self:flex-start}
.stack select{max-width:22rem}
label{display:flex;flex-direction:column;gap:.25rem;font-weight:600}
input,select,textarea,button{font:inherit}
input,select,textarea{padding:.45rem .55rem;border:1px solid #9aa5b1;border-radius:6px;background:#fff;font-weight:400}
textarea{font-family:ui-monospace,monospace;font-size:.9rem;min-height:10rem;width:100%}
button,.button{background:#1f6feb;color:#fff;border:0;border-radius:6px;padding:.5rem 1rem;cursor:pointer;text-decoration:none;display:inline-block}
button.danger{background:#b42318}
button.small{padding:.25rem .7rem;font-size:.9rem}
form.inline{display:flex;gap:.6rem;align-items:center;flex-wrap:wrap}
.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:flex-end}
.filters label{font-weight:600}
.daynav{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap}
.daynav a{color:#12355b}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.7rem;margin-bottom:1rem}
.tile{background:#fff;border:1px solid #d9e0e8;border-radius:10px;padding:.7rem .9rem}
.tile .n{font-size:1.8rem;font-weight:700;line-height:1.1}
.tile .l{color:#52606d;font-size:.9rem}
.chart{width:100%;max-width:560px;height:auto;display:block}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #e4e9ef;vertical-align:top}
td form{margin:0}
.nowrap{white-space:nowrap}
td.num{white-space:nowrap}
th{background:#f7f9fb;font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.warn{display:inline-block;background:#fde8e7;color:#8a1c12;border:1px solid #f5b8b3;border-radius:999px;padding:.05rem .55rem;margin:.1rem .2rem .1rem 0;font-size:.85rem;white-space:nowrap}
.ok{color:#1a7f37;font-weight:600}
.alert{background:#fde8e7;border:1px solid #f5b8b3;color:#8a1c12;padding:.6rem .8rem;border-radius:8px}
.notice{background:#e8f3ff;border:1px solid #9cc6f5;padding:.8rem;border-radius:8px}
code.token{display:block;word-break:break-all;font-size:1rem;background:#fff;padding:.6rem;border:1px dashed #1f6feb;border-radius:6px;margin:.5rem 0}
.muted{color:#52606d}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1rem;margin:0 0 .6rem;color:#52606d;font-size:.9rem}
.key{display:inline-flex;align-items:center;gap:.35rem}
.swatch{display:inline-block;width:.9rem;height:.9rem;border-radius:3px}
.level-row{display:flex;align-items:center;gap:.6rem;margin:.35rem 0;max-width:560px}
.level-row .code{width:3.2rem;font-variant-numeric:tabular-nums;font-weight:600}
.level-row .bar{flex:1;display:flex;height:1.6rem;border-radius:6px;overflow:hidden;background:#eef1f4}
.level-row .bar span{display:flex;align-items:center;justify-content:center;color:#fff;font-size:.85rem;font-weight:600;min-width:1.4rem}
.on_own{background:#1a7f37}.with_help{background:#bf8700}.not_yet{background:#8c959f}
@media (max-width:600px){main{padding:.6rem}.card{padding:.8rem}.tile .n{font-size:1.5rem}table{font-size:.85rem}th,td{padding:.4rem .3rem}h1{font-size:1.3rem}th{white-space:normal}}
"#;

/// A page in the language `l`: the bar with the menu (when signed in: the current path and the
/// CSRF token its sign-out form carries) and `body`.
pub fn layout(l: &str, title: &str, nav: Option<(&str, &str)>, body: Markup) -> Markup {
    let link = |href: &'static str, label: &'static str, current: &str| {
        html! { a href=(href) aria-current=[(href == current).then_some("page")] { (label) } }
    };
    html! {
        (DOCTYPE)
        html lang=(l) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (tr(l, "Loket central")) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header class="top" {
                    span class="brand" { (tr(l, "Loket central")) }
                    @if let Some((current, csrf)) = nav {
                        (link("/", tr(l, "Overview"), current))
                        (link("/tokens", tr(l, "Kiosk keys"), current))
                        (link("/files", tr(l, "Settings and content"), current))
                        (link("/appointments", tr(l, "Appointments"), current))
                        form method="post" action="/logout" {
                            input type="hidden" name=(CSRF_FIELD) value=(csrf);
                            button type="submit" { (tr(l, "Sign out")) }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}
