using Ddnn.Core.Randomness;
using Ddnn.Kernels;

namespace Ddnn.Training.Data;

/// <summary>
/// Deterministic multi-camera scene generator mirroring MVMC: one object (car, bus or person) on a
/// ground plane, seen by several cameras at different positions, zooms and heights, with clutter,
/// partial and full occlusion and per-camera sensor differences (gain, colour cast, noise).
/// </summary>
/// <remarks>
/// Every sample draws from its own random stream derived from (seed, split, index), so the output
/// does not depend on the thread count and changing one split's size leaves the others unchanged.
/// Geometry uses only +, −, ×, ÷ and sqrt (all exactly rounded by IEEE 754) and the noise is an
/// Irwin–Hall (triangular) sum, so no libm transcendental enters and the bytes are identical on every machine.
/// Views in which the object is out of frame, too small, or fully occluded are all zeros with
/// per-view label <see cref="MultiViewDataset.NotVisible"/>; every sample has at least one visible view.
/// </remarks>
public static class SyntheticSceneGenerator
{
    /// <summary>Label of a car.</summary>
    public const int Car = 0;
    /// <summary>Label of a bus.</summary>
    public const int Bus = 1;
    /// <summary>Label of a person.</summary>
    public const int Person = 2;

    /// <summary>Class names in label order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["car", "bus", "person"];

    private const int Channels = 3;
    internal const double SceneRadius = 2.2;
    private const double CameraRingHalfSide = 5.0;
    private const double MinDepth = 0.8;
    private const double MinVisibleFraction = 0.5;
    private const double MinVisibleArea = 4.0;
    private const int MaxPlacementAttempts = 64;

    private const ulong TrainStream = 1, ValidationStream = 2, TestStream = 3, CameraStream = 0xCA3E5A;

    /// <summary>Generates the train, validation and test splits.</summary>
    public static DataSplits Generate(SyntheticSceneOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var cameras = CreateCameras(options);
        return new DataSplits(
            GenerateSplit(options, cameras, TrainStream, options.TrainCount, "synthetic/train", cancellation),
            GenerateSplit(options, cameras, ValidationStream, options.ValidationCount, "synthetic/validation", cancellation),
            GenerateSplit(options, cameras, TestStream, options.TestCount, "synthetic/test", cancellation));
    }

    /// <summary>Raw-offload bytes per device per sample: 8-bit RGB of one view.</summary>
    public static int RawBytesPerDevicePerSample(SyntheticSceneOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return Channels * options.ImageSize * options.ImageSize;
    }

    private static MultiViewDataset GenerateSplit(SyntheticSceneOptions options, Camera[] cameras, ulong stream, int count, string name, CancellationToken cancellation)
    {
        int size = options.ImageSize;
        int devices = options.Devices;
        int viewSize = Channels * size * size;
        var data = new float[(long)count * devices * viewSize];
        var labels = new int[count];
        var viewLabels = new int[count * devices];
        ulong splitSeed = SeededRandom.DeriveSeed(options.Seed, stream);

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = KernelParallelism.MaxThreads, CancellationToken = cancellation };
        Parallel.For(0, count, parallel, i =>
        {
            var random = new SeededRandom(SeededRandom.DeriveSeed(splitSeed, (ulong)i));
            labels[i] = RenderSample(random, cameras, size,
                data.AsSpan(i * devices * viewSize, devices * viewSize),
                viewLabels.AsSpan(i * devices, devices));
        });
        return new MultiViewDataset(name, devices, Channels, size, size, data, labels, viewLabels, ClassNames);
    }

    private static Camera[] CreateCameras(SyntheticSceneOptions options)
    {
        var random = new SeededRandom(SeededRandom.DeriveSeed(options.Seed, CameraStream));
        var cameras = new Camera[options.Devices];
        for (int d = 0; d < cameras.Length; d++)
        {
            // Cameras stand on the perimeter of a square around the scene (no trig needed) and look at
            // a point near its centre, so each sees the object from its own side, distance and angle.
            double along = (d + random.NextDouble(-0.25, 0.25)) / cameras.Length;
            (double px, double pz) = PointOnSquare(along, CameraRingHalfSide);
            double tx = random.NextDouble(-1.0, 1.0), tz = random.NextDouble(-1.0, 1.0);
            (double fx, double fz) = Normalize(tx - px, tz - pz);
            cameras[d] = new Camera(
                X: px, Z: pz, ForwardX: fx, ForwardZ: fz,
                Focal: random.NextDouble(1.1, 2.3),
                Height: random.NextDouble(0.9, 2.2),
                Gain: (float)random.NextDouble(0.6, 1.15),
                NoiseSigma: (float)random.NextDouble(0.03, 0.16),
                Cast: new RgbColor((float)random.NextDouble(-0.06, 0.06), (float)random.NextDouble(-0.06, 0.06), (float)random.NextDouble(-0.06, 0.06)),
                OcclusionProbability: random.NextDouble(0.03, 0.2),
                Sky: new RgbColor((float)random.NextDouble(0.45, 0.75), (float)random.NextDouble(0.55, 0.8), (float)random.NextDouble(0.7, 0.95)),
                Ground: new RgbColor((float)random.NextDouble(0.3, 0.5), (float)random.NextDouble(0.3, 0.5), (float)random.NextDouble(0.25, 0.4)));
        }
        return cameras;
    }

    private static int RenderSample(SeededRandom random, Camera[] cameras, int size, Span<float> views, Span<int> viewLabels)
    {
        int label = random.NextInt(ClassNames.Count);
        var obj = SceneObject.Create(label, random);
        float illumination = (float)random.NextDouble(0.75, 1.1);
        int viewSize = Channels * size * size;
        Span<ScreenBox> boxes = stackalloc ScreenBox[cameras.Length];

        // Re-place the object until at least one camera sees it, like MVMC's samples (each has a visible view).
        for (int attempt = 0; ; attempt++)
        {
            obj = obj.PlaceRandomly(random);
            bool any = false;
            for (int d = 0; d < cameras.Length; d++)
            {
                boxes[d] = Project(cameras[d], obj, size);
                if (boxes[d].Visible && random.NextBool(cameras[d].OcclusionProbability))
                    boxes[d] = boxes[d] with { Visible = false };
                any |= boxes[d].Visible;
            }
            if (any || attempt == MaxPlacementAttempts)
                break;
        }
        if (!AnyVisible(boxes))
        {
            // Practically unreachable; keeps the invariant by placing the object at the best camera's target.
            boxes[0] = Project(cameras[0], obj.PlaceAtCentre(), size) with { Visible = true };
        }

        for (int d = 0; d < cameras.Length; d++)
        {
            Span<float> view = views.Slice(d * viewSize, viewSize);
            if (!boxes[d].Visible)
            {
                view.Clear();
                viewLabels[d] = MultiViewDataset.NotVisible;
                continue;
            }
            viewLabels[d] = label;
            var camera = cameras[d];
            var canvas = new ViewCanvas(view, size);
            double horizon = size * 0.5 + random.NextDouble(-0.12, 0.12) * size;
            canvas.FillBackground(camera.Sky.Jitter(random, 0.05f), camera.Ground.Jitter(random, 0.06f), horizon);
            DrawClutter(ref canvas, random, horizon);
            obj.Draw(ref canvas, boxes[d], random);
            if (random.NextBool(0.2))
                DrawPartialOccluder(ref canvas, boxes[d], random);
            ApplySensor(view, camera, illumination, random);
        }
        return label;
    }

    private static bool AnyVisible(ReadOnlySpan<ScreenBox> boxes)
    {
        foreach (var box in boxes)
        {
            if (box.Visible)
                return true;
        }
        return false;
    }

    private static ScreenBox Project(Camera camera, SceneObject obj, int size)
    {
        double vx = obj.X - camera.X, vz = obj.Z - camera.Z;
        double depth = vx * camera.ForwardX + vz * camera.ForwardZ;
        if (depth < MinDepth)
            return default;
        // Right vector (fz, -fx); the footprint's extent across the view is L|h·r| + W|h⊥·r|.
        double rightX = camera.ForwardZ, rightZ = -camera.ForwardX;
        double lateral = vx * rightX + vz * rightZ;
        double alongRight = obj.HeadingX * rightX + obj.HeadingZ * rightZ;
        double acrossRight = -obj.HeadingZ * rightX + obj.HeadingX * rightZ;
        double worldWidth = obj.Length * Math.Abs(alongRight) + obj.Width * Math.Abs(acrossRight);
        double pixelsPerUnit = camera.Focal * size * 0.5 / depth;
        double centreX = size * 0.5 + lateral * pixelsPerUnit;
        double bottom = size * 0.5 + camera.Height * pixelsPerUnit;
        double width = worldWidth * pixelsPerUnit;
        double height = obj.Height * pixelsPerUnit;
        var box = new ScreenBox(centreX - width * 0.5, bottom - height, centreX + width * 0.5, bottom,
            Facing: Math.Abs(obj.HeadingX * camera.ForwardX + obj.HeadingZ * camera.ForwardZ),
            FrontOnRight: alongRight >= 0, Visible: true);
        double area = width * height;
        double clippedWidth = Math.Min(box.X1, size) - Math.Max(box.X0, 0);
        double clippedHeight = Math.Min(box.Y1, size) - Math.Max(box.Y0, 0);
        double clippedArea = clippedWidth > 0 && clippedHeight > 0 ? clippedWidth * clippedHeight : 0;
        if (clippedArea < MinVisibleArea || clippedArea < MinVisibleFraction * area)
            return default;
        return box;
    }

    private static void DrawClutter(ref ViewCanvas canvas, SeededRandom random, double horizon)
    {
        int size = canvas.Size;
        int count = random.NextInt(5);
        for (int i = 0; i < count; i++)
        {
            double x = random.NextDouble(-0.1, 1.1) * size;
            double scale = random.NextDouble(0.1, 0.45) * size;
            double baseY = horizon + random.NextDouble(0.0, 0.3) * size;
            switch (random.NextInt(5))
            {
                case 0: // tree
                    canvas.FillRect(x - 0.05 * scale, baseY - 0.6 * scale, x + 0.05 * scale, baseY, new RgbColor(0.35f, 0.25f, 0.15f).Jitter(random, 0.05f));
                    canvas.FillEllipse(x, baseY - 0.75 * scale, 0.3 * scale, 0.35 * scale, new RgbColor(0.2f, 0.5f, 0.2f).Jitter(random, 0.12f));
                    break;
                case 1: // pole
                    canvas.FillRect(x - 0.03 * scale, baseY - 1.2 * scale, x + 0.03 * scale, baseY, new RgbColor(0.5f, 0.5f, 0.5f).Jitter(random, 0.15f));
                    break;
                case 2: // building block on the horizon
                    double w = random.NextDouble(0.5, 1.5) * scale;
                    canvas.FillRect(x - w, horizon - random.NextDouble(0.3, 1.0) * scale, x + w, horizon + 0.5, RandomMutedColor(random));
                    break;
                case 3: // bush
                    canvas.FillEllipse(x, baseY - 0.1 * scale, 0.35 * scale, 0.18 * scale, new RgbColor(0.25f, 0.45f, 0.2f).Jitter(random, 0.1f));
                    break;
                default: // sign on a post
                    canvas.FillRect(x - 0.02 * scale, baseY - 0.9 * scale, x + 0.02 * scale, baseY, new RgbColor(0.4f, 0.4f, 0.4f));
                    canvas.FillRect(x - 0.2 * scale, baseY - 1.1 * scale, x + 0.2 * scale, baseY - 0.8 * scale, RandomBrightColor(random));
                    break;
            }
        }
    }

    private static void DrawPartialOccluder(ref ViewCanvas canvas, ScreenBox box, SeededRandom random)
    {
        double width = box.X1 - box.X0;
        double cover = random.NextDouble(0.15, 0.4) * width;
        double x0 = random.NextBool(0.5) ? box.X0 - 0.1 * width : box.X1 + 0.1 * width - cover;
        double top = box.Y0 + random.NextDouble(-0.2, 0.6) * (box.Y1 - box.Y0);
        canvas.FillRect(x0, top, x0 + cover, canvas.Size, RandomMutedColor(random));
    }

    private static void ApplySensor(Span<float> view, Camera camera, float illumination, SeededRandom random)
    {
        float gain = camera.Gain * illumination;
        float sigma = camera.NoiseSigma;
        int plane = view.Length / Channels;
        for (int c = 0; c < Channels; c++)
        {
            float cast = c == 0 ? camera.Cast.R : c == 1 ? camera.Cast.G : camera.Cast.B;
            Span<float> channel = view.Slice(c * plane, plane);
            for (int i = 0; i < channel.Length; i += 2)
            {
                var (first, second) = random.NextTriangularPair();
                channel[i] = Math.Clamp(channel[i] * gain + cast + sigma * first, 0f, 1f);
                if (i + 1 < channel.Length)
                    channel[i + 1] = Math.Clamp(channel[i + 1] * gain + cast + sigma * second, 0f, 1f);
            }
        }
    }

    internal static RgbColor RandomMutedColor(SeededRandom random)
    {
        float grey = (float)random.NextDouble(0.25, 0.65);
        return new RgbColor(grey, grey, grey).Jitter(random, 0.1f);
    }

    internal static RgbColor RandomBrightColor(SeededRandom random) => Palette[random.NextInt(Palette.Length)].Jitter(random, 0.1f);

    private static readonly RgbColor[] Palette =
    [
        new(0.85f, 0.1f, 0.1f), new(0.1f, 0.25f, 0.8f), new(0.75f, 0.75f, 0.78f), new(0.08f, 0.08f, 0.1f),
        new(0.92f, 0.92f, 0.9f), new(0.1f, 0.45f, 0.2f), new(0.95f, 0.8f, 0.1f), new(0.95f, 0.5f, 0.1f),
    ];

    private readonly record struct Camera(
        double X, double Z, double ForwardX, double ForwardZ, double Focal, double Height,
        float Gain, float NoiseSigma, RgbColor Cast, double OcclusionProbability, RgbColor Sky, RgbColor Ground);

    internal static (double X, double Z) PointOnSquare(double along, double halfSide)
    {
        double t = (along - Math.Floor(along)) * 4.0;
        int edge = (int)t;
        double u = (t - edge) * 2.0 - 1.0;
        return edge switch
        {
            0 => (u * halfSide, -halfSide),
            1 => (halfSide, u * halfSide),
            2 => (-u * halfSide, halfSide),
            _ => (-halfSide, -u * halfSide),
        };
    }

    internal static (double X, double Z) Normalize(double x, double z)
    {
        double length = Math.Sqrt(x * x + z * z);
        return (x / length, z / length);
    }
}
