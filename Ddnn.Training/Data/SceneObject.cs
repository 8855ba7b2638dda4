using Ddnn.Core.Randomness;
namespace Ddnn.Training.Data;

/// <summary>The one object of a synthetic scene: class, footprint and height in world units, heading, position and colours.</summary>
internal readonly record struct SceneObject(
    int Label, double Length, double Width, double Height,
    double X, double Z, double HeadingX, double HeadingZ,
    RgbColor Body, RgbColor Secondary)
{
    private static readonly RgbColor Glass = new(0.15f, 0.2f, 0.3f);
    private static readonly RgbColor BusGlass = new(0.55f, 0.65f, 0.75f);
    private static readonly RgbColor Tyre = new(0.06f, 0.06f, 0.06f);
    private static readonly RgbColor Lamp = new(0.98f, 0.95f, 0.75f);

    private static readonly RgbColor[] BusColours =
        [new(0.95f, 0.8f, 0.1f), new(0.95f, 0.5f, 0.1f), new(0.85f, 0.12f, 0.1f), new(0.92f, 0.92f, 0.9f), new(0.15f, 0.35f, 0.8f)];

    private static readonly RgbColor[] SkinTones =
        [new(0.95f, 0.8f, 0.65f), new(0.8f, 0.6f, 0.45f), new(0.55f, 0.38f, 0.25f), new(0.35f, 0.23f, 0.15f)];

    /// <summary>A new object of class <paramref name="label"/> with randomized size and colours (position set later).</summary>
    public static SceneObject Create(int label, SeededRandom random) => label switch
    {
        SyntheticSceneGenerator.Car => new SceneObject(label,
            Length: random.NextDouble(1.7, 2.4), Width: random.NextDouble(0.85, 1.05), Height: random.NextDouble(0.65, 0.95),
            0, 0, 1, 0, SyntheticSceneGenerator.RandomBrightColor(random), Glass),
        SyntheticSceneGenerator.Bus => new SceneObject(label,
            Length: random.NextDouble(3.0, 4.2), Width: random.NextDouble(1.1, 1.35), Height: random.NextDouble(1.3, 1.9),
            0, 0, 1, 0, BusColours[random.NextInt(BusColours.Length)].Jitter(random, 0.08f), BusGlass),
        SyntheticSceneGenerator.Person => new SceneObject(label,
            Length: random.NextDouble(0.3, 0.45), Width: random.NextDouble(0.4, 0.55), Height: random.NextDouble(1.4, 1.9),
            0, 0, 1, 0, SyntheticSceneGenerator.RandomBrightColor(random), SkinTones[random.NextInt(SkinTones.Length)]),
        _ => throw new ArgumentOutOfRangeException(nameof(label), $"unknown synthetic class {label}"),
    };

    /// <summary>The same object at a uniformly random position in the scene disk with a uniformly random heading.</summary>
    public SceneObject PlaceRandomly(SeededRandom random)
    {
        (double x, double z) = PointInUnitDisk(random);
        double hx, hz;
        do
        {
            (hx, hz) = PointInUnitDisk(random);
        }
        while (hx * hx + hz * hz < 1e-4);
        (hx, hz) = SyntheticSceneGenerator.Normalize(hx, hz);
        double radius = SyntheticSceneGenerator.SceneRadius;
        return this with { X = x * radius, Z = z * radius, HeadingX = hx, HeadingZ = hz };
    }

    /// <summary>The same object placed at the origin, facing sideways, which every camera looks towards.</summary>
    public SceneObject PlaceAtCentre() => this with { X = 0, Z = 0, HeadingX = 1, HeadingZ = 0 };

    public void Draw(ref ViewCanvas canvas, ScreenBox box, SeededRandom random)
    {
        switch (Label)
        {
            case SyntheticSceneGenerator.Car: DrawCar(ref canvas, box); break;
            case SyntheticSceneGenerator.Bus: DrawBus(ref canvas, box, random); break;
            default: DrawPerson(ref canvas, box, random); break;
        }
    }

    private void DrawCar(ref ViewCanvas canvas, ScreenBox b)
    {
        double w = b.Width, h = b.Height;
        double side = 1.0 - b.Facing;
        canvas.FillRect(b.X0, b.Y0 + 0.42 * h, b.X1, b.Y1 - 0.12 * h, Body);
        // Seen side-on the cabin sits towards the back; head-on it is centred and nearly full width.
        double shift = (b.FrontOnRight ? -1 : 1) * 0.12 * side * w;
        double inset = (0.12 + 0.12 * side) * w;
        double cx0 = b.X0 + inset + shift, cx1 = b.X1 - inset + shift;
        canvas.FillRect(cx0, b.Y0, cx1, b.Y0 + 0.45 * h, Body.Scale(0.9f));
        canvas.FillRect(cx0 + 0.08 * w, b.Y0 + 0.08 * h, cx1 - 0.08 * w, b.Y0 + 0.4 * h, Secondary);
        if (side > 0.3)
        {
            double r = 0.17 * h;
            canvas.FillEllipse(b.X0 + 0.22 * w, b.Y1 - r, r, r, Tyre);
            canvas.FillEllipse(b.X1 - 0.22 * w, b.Y1 - r, r, r, Tyre);
        }
        else
        {
            canvas.FillRect(b.X0 + 0.05 * w, b.Y1 - 0.16 * h, b.X0 + 0.2 * w, b.Y1, Tyre);
            canvas.FillRect(b.X1 - 0.2 * w, b.Y1 - 0.16 * h, b.X1 - 0.05 * w, b.Y1, Tyre);
            canvas.FillRect(b.X0 + 0.08 * w, b.Y0 + 0.5 * h, b.X0 + 0.22 * w, b.Y0 + 0.62 * h, Lamp);
            canvas.FillRect(b.X1 - 0.22 * w, b.Y0 + 0.5 * h, b.X1 - 0.08 * w, b.Y0 + 0.62 * h, Lamp);
        }
    }

    private void DrawBus(ref ViewCanvas canvas, ScreenBox b, SeededRandom random)
    {
        double w = b.Width, h = b.Height;
        canvas.FillRect(b.X0, b.Y0, b.X1, b.Y1 - 0.06 * h, Body);
        canvas.FillRect(b.X0, b.Y0 + 0.62 * h, b.X1, b.Y0 + 0.7 * h, Body.Scale(0.6f));
        if (b.Facing < 0.6)
        {
            int windows = random.NextInt(4, 7);
            double pitch = w / windows;
            for (int i = 0; i < windows; i++)
                canvas.FillRect(b.X0 + i * pitch + 0.15 * pitch, b.Y0 + 0.15 * h, b.X0 + (i + 1) * pitch - 0.15 * pitch, b.Y0 + 0.45 * h, Secondary);
            double r = 0.09 * h;
            canvas.FillEllipse(b.X0 + 0.18 * w, b.Y1 - r, r, r, Tyre);
            canvas.FillEllipse(b.X1 - 0.18 * w, b.Y1 - r, r, r, Tyre);
        }
        else
        {
            canvas.FillRect(b.X0 + 0.1 * w, b.Y0 + 0.1 * h, b.X1 - 0.1 * w, b.Y0 + 0.5 * h, Secondary);
            canvas.FillRect(b.X0 + 0.08 * w, b.Y0 + 0.78 * h, b.X0 + 0.22 * w, b.Y0 + 0.86 * h, Lamp);
            canvas.FillRect(b.X1 - 0.22 * w, b.Y0 + 0.78 * h, b.X1 - 0.08 * w, b.Y0 + 0.86 * h, Lamp);
        }
    }

    private void DrawPerson(ref ViewCanvas canvas, ScreenBox b, SeededRandom random)
    {
        double w = b.Width, h = b.Height, cx = b.CentreX;
        double headR = Math.Min(0.45 * w, 0.09 * h);
        canvas.FillEllipse(cx, b.Y0 + headR, headR, headR, Secondary);
        canvas.FillRect(b.X0 + 0.05 * w, b.Y0 + 0.18 * h, b.X1 - 0.05 * w, b.Y0 + 0.56 * h, Body);
        var trousers = new RgbColor(0.15f, 0.15f, 0.25f).Jitter(random, 0.1f);
        canvas.FillRect(b.X0 + 0.1 * w, b.Y0 + 0.56 * h, cx - 0.04 * w, b.Y1, trousers);
        canvas.FillRect(cx + 0.04 * w, b.Y0 + 0.56 * h, b.X1 - 0.1 * w, b.Y1, trousers);
    }

    private static (double X, double Z) PointInUnitDisk(SeededRandom random)
    {
        while (true)
        {
            double x = random.NextDouble(-1.0, 1.0), z = random.NextDouble(-1.0, 1.0);
            if (x * x + z * z <= 1.0)
                return (x, z);
        }
    }
}
