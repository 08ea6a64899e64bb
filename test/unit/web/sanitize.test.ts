/**
 * The webmail's HTML sanitiser against what hostile and tracking mail really carries: scripts
 * and handlers in every disguise, remote images and pixels, CSS, forms, frames, deceptive
 * links; and what must survive: the text, simple formatting, the message's own inline images.
 */
import { describe, expect, it } from 'vitest';
import { sanitiseHtml } from '../../../src/web/sanitize.js';

const inline = (known: Record<string, string>) => ({ inlineImage: (cid: string) => known[cid] });

/** every tag name left in the output */
const tags = (html: string) => [...html.matchAll(/<([a-z0-9]+)\b/gi)].map((m) => m[1]!.toLowerCase());

describe('scripts and handlers', () => {
  it.each([
    ['a script element, with its code', '<p>Bonjour</p><script>alert(document.cookie)</script>'],
    ['a script in the head', '<html><head><script src="https://evil.example/x.js"></script></head><body><p>Bonjour</p></body></html>'],
    ['an event handler', '<p onclick="alert(1)" onmouseover="alert(2)">Bonjour</p>'],
    ['an image that fails on purpose', '<p>Bonjour</p><img src=x onerror=alert(document.cookie)>'],
    ['an SVG with onload', '<p>Bonjour</p><svg onload="alert(1)"><script>alert(2)</script></svg>'],
    ['a javascript: link', '<p>Bonjour</p><a href="javascript:alert(document.cookie)">x</a>'],
    ['an obfuscated javascript: link', '<p>Bonjour</p><a href="jav&#x09;ascript:alert(1)">x</a><a href=" JaVaScRiPt:alert(1)">y</a>'],
    ['a vbscript: link', '<p>Bonjour</p><a href="vbscript:msgbox(1)">x</a>'],
    ['a data: link', '<p>Bonjour</p><a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>'],
    ['a meta refresh', '<meta http-equiv="refresh" content="0;url=javascript:alert(1)"><p>Bonjour</p>'],
    ['a base element', '<base href="javascript:alert(1)//"><p>Bonjour</p>'],
    ['a template', '<p>Bonjour</p><template><img src=x onerror=alert(1)></template>'],
    ['a noscript trick', '<p>Bonjour</p><noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>'],
  ])('removes %s', (_label, html) => {
    const clean = sanitiseHtml(html);
    expect(clean).toContain('Bonjour');
    expect(clean).not.toMatch(/script|onerror|onload|onclick|onmouseover|alert|msgbox|data:|<meta|<base|<svg|<template/i);
  });

  it('escapes what could close an attribute or open a tag', () => {
    const clean = sanitiseHtml('<a href="https://a.example/?q=&quot;><img src=x onerror=alert(1)>">lien</a>');
    expect(tags(clean)).toEqual(['a', 'span']);
    expect(clean).not.toMatch(/<img/);
    expect(clean).toContain('&quot;&gt;&lt;img');
  });
});

describe('remote content', () => {
  it('drops remote images, tracking pixels included, whatever their form', () => {
    const clean = sanitiseHtml(
      [
        '<p>Texte</p>',
        '<img src="https://tracker.example/open.gif?u=42" width="1" height="1" alt="">',
        '<img src="http://tracker.example/p.png">',
        '<img src="//tracker.example/p.png">',
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">',
        '<img srcset="https://tracker.example/a.png 1x">',
        '<img src="cid:unknown@part">',
        '<img>',
        '<picture><source srcset="https://tracker.example/s.png"><img src="https://tracker.example/f.png"></picture>',
        '<video poster="https://tracker.example/v.png"></video><audio src="https://tracker.example/a.mp3"></audio>',
        '<table background="https://tracker.example/bg.png"><tr><td background="https://tracker.example/td.png">cellule</td></tr></table>',
        '<body background="https://tracker.example/body.png">',
        '<link rel="stylesheet" href="https://tracker.example/s.css">',
      ].join(''),
    );
    expect(clean).not.toContain('tracker.example');
    expect(clean).not.toMatch(/<img|<source|<video|<audio|<link|background|data:/);
    expect(clean).toContain('Texte');
    expect(clean).toContain('<td>cellule</td>');
  });

  it('removes CSS altogether: style elements, style attributes and their url()', () => {
    const clean = sanitiseHtml(
      '<style>@import url(https://tracker.example/i.css); p { background: url("https://tracker.example/b.png") }</style>' +
        '<p style="background-image:url(https://tracker.example/c.png); color: red">Texte</p>' +
        '<div style="behavior: url(x.htc)">Autre</div>',
    );
    expect(clean).toBe('<p>Texte</p><div>Autre</div>');
  });

  it('removes forms, their fields, frames and embedded objects', () => {
    const clean = sanitiseHtml(
      '<form action="https://phishing.example/login" method="post"><p>Identifiez-vous</p><input name="password" type="password"><select><option>a</option></select><textarea>secret</textarea><button formaction="https://phishing.example/b">OK</button></form>' +
        '<iframe src="https://phishing.example/frame">cadre</iframe><frameset><frame src="https://phishing.example/f"></frameset>' +
        '<object data="https://tracker.example/o.swf">objet</object><embed src="https://tracker.example/e.swf"><applet code="x"></applet>',
    );
    expect(clean).not.toMatch(/<form|<input|<select|<option|<textarea|<button|<iframe|<frame|<object|<embed|<applet|phishing|tracker|secret|cadre|objet/);
    expect(clean).toContain('<p>Identifiez-vous</p>');
  });
});

describe('inline images of the message itself', () => {
  it('points a cid: image to its part, keeps its text alternative and size, nothing else', () => {
    const clean = sanitiseHtml('<p><img src="cid:logo@hopital" alt="Logo" width="120" height="40" onerror="alert(1)" style="border:0" class="x"></p>', inline({ 'logo@hopital': '/api/messages/7/attachments/1' }));
    expect(clean).toBe('<p><img src="/api/messages/7/attachments/1" alt="Logo" width="120" height="40" /></p>');
  });

  it('reads the Content-ID of a cid: URL percent-decoded, as RFC 2392 writes it', () => {
    const clean = sanitiseHtml('<img src="cid:image001.png%4001DA0000.12345678">', inline({ 'image001.png@01DA0000.12345678': '/api/messages/7/attachments/0' }));
    expect(clean).toContain('src="/api/messages/7/attachments/0"');
  });

  it('drops a cid: image that is not a part of the message, and one whose part would be elsewhere', () => {
    expect(sanitiseHtml('<p>a</p><img src="cid:ailleurs@x">', inline({}))).toBe('<p>a</p>');
    // Only what the caller returns is used: a URL of another origin is not an inline part.
    expect(sanitiseHtml('<img src="cid:x@y">', inline({ 'x@y': 'https://tracker.example/x.png' }))).toBe('');
  });
});

describe('links', () => {
  it('opens links in a new tab without referrer and keeps only their target', () => {
    const clean = sanitiseHtml('<a href="https://www.ameli.fr/" id="x" ping="https://tracker.example/ping" target="_self" title="t">https://www.ameli.fr/</a>');
    expect(clean).toBe('<a href="https://www.ameli.fr/" target="_blank" rel="noopener noreferrer nofollow">https://www.ameli.fr/</a>');
  });

  it('shows after its text where a link leads when the text does not say it', () => {
    const clean = sanitiseHtml('<p><a href="https://phishing.example/login">https://www.ameli.fr/</a> et <a href="https://www.hopital.example/rdv">prendre <b>rendez-vous</b></a></p>');
    expect(clean).toBe(
      '<p><a href="https://phishing.example/login" target="_blank" rel="noopener noreferrer nofollow">https://www.ameli.fr/</a> <span class="link-target">(https://phishing.example/login)</span>' +
        ' et <a href="https://www.hopital.example/rdv" target="_blank" rel="noopener noreferrer nofollow">prendre <b>rendez-vous</b></a> <span class="link-target">(https://www.hopital.example/rdv)</span></p>',
    );
  });

  it('shows a mailto: link by its address, and not twice when the text is the address', () => {
    expect(sanitiseHtml('<a href="mailto:secretariat@hopital.mssante.fr">secretariat@hopital.mssante.fr</a>')).not.toContain('link-target');
    expect(sanitiseHtml('<a href="mailto:secretariat@hopital.mssante.fr">le secrétariat</a>')).toContain('<span class="link-target">(secretariat@hopital.mssante.fr)</span>');
  });

  it('keeps the text of a link whose target is not allowed, as text that leads nowhere', () => {
    const clean = sanitiseHtml('<a href="javascript:alert(1)">Cliquez ici</a> <a href="file:///etc/passwd">fichier</a> <a>ancre</a>');
    expect(clean).not.toMatch(/href|javascript|file:/);
    expect(clean).toContain('Cliquez ici');
    expect(clean).toContain('fichier');
    expect(clean).toContain('ancre');
  });
});

describe('what stays', () => {
  it('keeps text, simple formatting, lists and tables', () => {
    const html = '<h1>Résultats</h1><p>Madame, <b>vos</b> <i>résultats</i> <u>sont</u> <em>normaux</em>.</p><ul><li>Glycémie : 0,9 g/l</li></ul><table><thead><tr><th scope="col">Examen</th></tr></thead><tbody><tr><td colspan="2">NFS</td></tr></tbody></table><blockquote>cité</blockquote><pre>  espacé</pre>';
    expect(sanitiseHtml(html)).toBe(html);
  });

  it('keeps the characters of the text and escapes markup written as text', () => {
    expect(sanitiseHtml('<p>1 &lt; 2 &amp; « été » — 3 &gt; 2</p>')).toBe('<p>1 &lt; 2 &amp; « été » — 3 &gt; 2</p>');
  });
});
