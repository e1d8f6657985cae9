public enum HandlersPlaceholder {}
