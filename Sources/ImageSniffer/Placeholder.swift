public enum ImageSnifferPlaceholder {}
