namespace MlOps.Training.Worker.Training;

/// <summary>
/// The spec and the data do not fit together (unknown column, wrong task for the label, empty data...):
/// retrying cannot help, so the job fails for good with this message.
/// </summary>
public sealed class TrainingSpecException(string message) : Exception(message);
