/// The last catalog read, kept between invocations of a warm function so that an unchanged
/// catalog costs one conditional GET (304) instead of a download and a parse.
public final class CatalogViewCache {
    public var view: CatalogView?

    public init(view: CatalogView? = nil) { self.view = view }
}
