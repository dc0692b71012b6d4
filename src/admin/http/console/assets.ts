/** The console's one stylesheet and one small script (progressive: every page works without it). */
export const CONSOLE_CSS = `:root{--fg:#1a1a1a;--bg:#fff;--muted:#4a4a4a;--line:#c8c8c8;--accent:#0b4f8a;--ok:#1d6b2f;--warn:#7a4d00;--bad:#a4161a;--info:#234e8c}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}a:focus,button:focus,input:focus,select:focus{outline:3px solid #f0b400;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:2}
header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;padding:.5rem 1rem;background:#0b2540;color:#fff}
header a,header .brand{color:#fff}.brand{font-weight:700;text-decoration:none}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}nav a[aria-current=page]{font-weight:700;text-decoration:underline}
header form{display:inline-flex;gap:.25rem;align-items:center;margin:0}
main{max-width:72rem;margin:0 auto;padding:1rem}h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#eef2f6}code{background:#f3f3f3;padding:0 .2rem;word-break:break-all}
.notice{padding:.5rem .75rem;border-left:4px solid var(--info);background:#eef4fb}.notice.ok{border-color:var(--ok);background:#edf7ef}.notice.bad{border-color:var(--bad);background:#fbeeee}
.badge{display:inline-block;padding:0 .4rem;border-radius:.25rem;font-size:.85rem;font-weight:600;border:1px solid currentColor}
.s-Running,.sev-pass{color:var(--ok)}.s-Degraded,.sev-warning{color:var(--warn)}.s-Stopped{color:var(--muted)}.sev-fail{color:var(--bad)}.sev-info{color:var(--info)}
.field{margin:1rem 0;padding-bottom:.75rem;border-bottom:1px solid #eee}.field label{font-weight:600;display:block}
.field .hint{color:var(--muted);font-size:.9rem;margin:.1rem 0}.field .error{color:var(--bad);font-weight:600}
input,select{font:inherit;padding:.3rem .4rem;border:1px solid #767676;border-radius:.2rem;min-width:16rem;max-width:100%}input[aria-invalid=true]{border:2px solid var(--bad)}
button{font:inherit;padding:.3rem .8rem;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:.2rem;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}.inline{display:inline}.actions form{display:inline-block;margin:0 .25rem .25rem 0}
.finding{border:1px solid var(--line);border-left-width:6px;padding:.5rem .75rem;margin:.5rem 0}.finding.sev-fail{border-left-color:var(--bad)}.finding.sev-warning{border-left-color:var(--warn)}.finding.sev-info{border-left-color:var(--info)}
.finding h3{margin:.1rem 0;font-size:1.05rem;color:var(--fg)}.finding p{color:var(--fg)}
.sections{display:flex;gap:1rem;flex-wrap:wrap;list-style:none;padding:0}`;

export const CONSOLE_JS = `(function(){
document.addEventListener('submit',function(e){var m=e.target.getAttribute('data-confirm');if(m&&!window.confirm(m))e.preventDefault();});
var lang=document.getElementById('lang-select');if(lang){var b=document.getElementById('lang-submit');if(b)b.hidden=true;lang.addEventListener('change',function(){lang.form.submit();});}
document.querySelectorAll('input[data-check]').forEach(function(i){i.addEventListener('input',function(){var err=document.getElementById(i.id+'-error');var bad=!i.checkValidity();i.setAttribute('aria-invalid',bad?'true':'false');if(err&&!err.getAttribute('data-server')){err.textContent=bad?i.validationMessage:'';}});});
})();`;
