/// The response overrides signed into every viewing URL, so what a browser does with the URL
/// depends on the catalog's `type` (sniffed from the file's bytes), not on the `Content-Type`
/// whoever wrote the object chose.
///
/// Why: the URL points at the bucket's own origin. An SVG opened there is a document that runs
/// its scripts, and any object stored as `text/html` runs them too, even when its first bytes
/// made the sniffer call it a PNG (a polyglot). So every URL signs `response-content-type` with
/// the type the catalog names, and an SVG (or a type we do not know) also signs
/// `response-content-disposition=attachment`: opened directly it is downloaded, never rendered,
/// while `<img src=…>` (which never runs script and ignores the disposition) still shows it.
public enum ViewingOverrides {
    /// The query parameters to sign for an entry of catalog `type` (`jpg`, `png`, … `svg`).
    public static func query(forType type: String) -> [(name: String, value: String)] {
        guard let mime = ImageType.mimeTypes[type] else {
            return [(name: "response-content-disposition", value: "attachment"),
                    (name: "response-content-type", value: "application/octet-stream")]
        }
        var query = [(name: "response-content-type", value: mime)]
        if type == "svg" { query.insert((name: "response-content-disposition", value: "attachment"), at: 0) }
        return query
    }
}
