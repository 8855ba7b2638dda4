namespace Ddnn.Training.Data;

/// <summary>Where an object lands in one camera view: its pixel box, how head-on it is seen, and whether it is visible.</summary>
/// <param name="Facing">|heading · forward|: 1 when seen from the front or back, 0 when seen side-on.</param>
/// <param name="FrontOnRight">True when the object's front points to the right of the image.</param>
internal readonly record struct ScreenBox(double X0, double Y0, double X1, double Y1, double Facing, bool FrontOnRight, bool Visible)
{
    public double Width => X1 - X0;
    public double Height => Y1 - Y0;
    public double CentreX => (X0 + X1) * 0.5;
}
