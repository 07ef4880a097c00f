namespace MlOps.ModelBundle.Trees;

/// <summary>
/// ML.NET's Platt calibrator (PlattCalibrator.PredictProbability): <c>1 / (1 + exp(Slope * score + Offset))</c> in
/// doubles, rounded to float; NaN stays NaN. The load-time probe checks it against ML.NET's own to the bit.
/// </summary>
public sealed record PlattSigmoid(double Slope, double Offset)
{
    public float PredictProbability(float score) =>
        float.IsNaN(score) ? score : (float)(1 / (1 + Math.Exp(Slope * score + Offset)));
}
