public enum LambdaRuntimePlaceholder {}
