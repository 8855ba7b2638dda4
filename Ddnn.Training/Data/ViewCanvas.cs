namespace Ddnn.Training.Data;

/// <summary>A square CHW RGB float image with anti-aliased rectangle and ellipse fills (box-filter coverage).</summary>
/// <remarks>Coordinates are in pixels, (0,0) at the top-left corner of the top-left pixel. Only +, −, ×, ÷ are used so results are bit-identical everywhere.</remarks>
internal readonly ref struct ViewCanvas
{
    private readonly Span<float> _pixels;
    private readonly int _size;
    private readonly int _plane;

    public ViewCanvas(Span<float> pixels, int size)
    {
        _pixels = pixels;
        _size = size;
        _plane = size * size;
    }

    public int Size => _size;

    /// <summary>Fills rows [0, horizon) with the sky colour and the rest with a ground colour that brightens towards the bottom.</summary>
    public void FillBackground(RgbColor sky, RgbColor ground, double horizon)
    {
        for (int y = 0; y < _size; y++)
        {
            double rowCentre = y + 0.5;
            RgbColor c;
            if (rowCentre < horizon)
                c = sky.Scale((float)(0.85 + 0.15 * rowCentre / _size));
            else
                c = ground.Scale((float)(0.75 + 0.35 * (rowCentre - horizon) / _size));
            for (int x = 0; x < _size; x++)
                Set(x, y, c, 1f);
        }
    }

    public void FillRect(double x0, double y0, double x1, double y1, RgbColor color)
    {
        double cx0 = Math.Max(x0, 0), cy0 = Math.Max(y0, 0);
        double cx1 = Math.Min(x1, _size), cy1 = Math.Min(y1, _size);
        if (cx1 <= cx0 || cy1 <= cy0)
            return;
        int px0 = (int)cx0, py0 = (int)cy0;
        int px1 = (int)Math.Ceiling(cx1), py1 = (int)Math.Ceiling(cy1);
        for (int py = py0; py < py1; py++)
        {
            double coverY = Math.Min(cy1, py + 1) - Math.Max(cy0, py);
            for (int px = px0; px < px1; px++)
            {
                double coverX = Math.Min(cx1, px + 1) - Math.Max(cx0, px);
                Set(px, py, color, (float)(coverX * coverY));
            }
        }
    }

    public void FillEllipse(double cx, double cy, double rx, double ry, RgbColor color)
    {
        if (rx <= 0 || ry <= 0)
            return;
        int px0 = Math.Max(0, (int)Math.Floor(cx - rx)), py0 = Math.Max(0, (int)Math.Floor(cy - ry));
        int px1 = Math.Min(_size, (int)Math.Ceiling(cx + rx)), py1 = Math.Min(_size, (int)Math.Ceiling(cy + ry));
        double invRx2 = 1.0 / (rx * rx), invRy2 = 1.0 / (ry * ry);
        for (int py = py0; py < py1; py++)
        {
            for (int px = px0; px < px1; px++)
            {
                // 2x2 supersampling approximates the covered fraction of the pixel.
                int inside = 0;
                for (int s = 0; s < 4; s++)
                {
                    double dx = px + 0.25 + 0.5 * (s & 1) - cx;
                    double dy = py + 0.25 + 0.5 * (s >> 1) - cy;
                    if (dx * dx * invRx2 + dy * dy * invRy2 <= 1.0)
                        inside++;
                }
                if (inside > 0)
                    Set(px, py, color, inside * 0.25f);
            }
        }
    }

    private void Set(int x, int y, RgbColor c, float alpha)
    {
        int i = y * _size + x;
        if (alpha >= 1f)
        {
            _pixels[i] = c.R;
            _pixels[_plane + i] = c.G;
            _pixels[2 * _plane + i] = c.B;
            return;
        }
        float keep = 1f - alpha;
        _pixels[i] = _pixels[i] * keep + c.R * alpha;
        _pixels[_plane + i] = _pixels[_plane + i] * keep + c.G * alpha;
        _pixels[2 * _plane + i] = _pixels[2 * _plane + i] * keep + c.B * alpha;
    }
}
