namespace MlOps.ModelBundle; public static class Placeholder {}
