namespace Ddnn.Training.Reporting.Plots;

/// <summary>Draws a <see cref="PlotDescription"/> to an image file (the engine describes plots; the front end draws them).</summary>
public interface IPlotRenderer
{
    /// <summary>Writes <paramref name="plot"/> as an image to <paramref name="path"/>, atomically.</summary>
    void Write(PlotDescription plot, string path);
}
