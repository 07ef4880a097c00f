namespace MlOps.Serving.Api.Predict;

/// <summary>Why a request's input was refused (always a 400), with the row (0-based) and column when they apply.</summary>
public readonly record struct InputError(string Message, int? Row = null, string? Column = null)
{
    public static InputError UnknownColumn(int row, string column) =>
        new($"Row {row}: unknown column '{column}'.", row, column);

    public static InputError DuplicateColumn(int row, string column) =>
        new($"Row {row}: column '{column}' appears twice.", row, column);

    public static InputError MissingColumn(int row, string column) =>
        new($"Row {row}: column '{column}' is missing (send null for a missing value).", row, column);

    public static InputError NotANumber(int row, string column) =>
        new($"Row {row}: column '{column}' is NaN or infinite; send null for a missing value.", row, column);

    public static InputError OutOfRange(int row, string column) =>
        new($"Row {row}: column '{column}' is out of range for a 32-bit float.", row, column);

    public static InputError WrongType(int row, string column, bool numeric, string got) =>
        new($"Row {row}: column '{column}' expects {(numeric ? "a number" : "a string (category)")} or null, got {got}.", row, column);

    public static InputError EmptyBatch() => new("The batch is empty: send at least one row.");

    public static InputError TooManyRows(int limit) => new($"The batch has more than {limit} rows.", limit);

    public static InputError BodyTooLarge(long limit) => new($"The request body is over the limit of {limit} bytes.");
}
