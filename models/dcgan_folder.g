# DCGAN (Radford, Metz and Chintala 2015) for 32x32 colour images from a
# folder: point images("...") at a folder of your own PNG, JPEG or BMP
# files (any sizes: each is centre-cropped and resized to 32x32) and run
#
#   genc run models/dcgan_folder.g
#
# As shipped it reads data/fashion_colour/, which `make data-folder`
# writes: 10,000 Fashion-MNIST images, each coloured by its class (red the
# garment, green the garment times class/9, blue its negative), so that a
# good generator must get the colours right as well as the shapes.
# 20 epochs in 1,108 s on 2 cores (shared): garments of every class,
# most recognisable, each in its class's colour (docs/results.md; there is
# no judge for these images). docs/tutorial.md shows how to use your own
# photos.

data x ~ images("data/fashion_colour/", shape: [3, 32, 32], range: [-1, 1], flip: true)
z    ~ normal(100)

net G(z: [100]) -> [3, 32, 32] {
    dense(4*4*256, bias: false) -> batchnorm -> relu
    reshape(256, 4, 4)
    deconv(128, 4, stride: 2, bias: false) -> batchnorm -> relu    # 8x8
    deconv(64, 4, stride: 2, bias: false)  -> batchnorm -> relu    # 16x16
    deconv(3, 4, stride: 2)                -> tanh                 # 32x32
}

net D(x: [3, 32, 32]) -> [1] {
    conv(64, 4, stride: 2) -> leaky_relu(0.2)                      # 16x16
    conv(128, 4, stride: 2, bias: false) -> batchnorm -> leaky_relu(0.2)
    conv(256, 4, stride: 2, bias: false) -> batchnorm -> leaky_relu(0.2)
    flatten -> dense(1) -> sigmoid
}

min G max D:  E[log D(x)] + E[log(1 - D(G(z)))]    nonsaturating

train {
    batch 64   epochs 20   seed 1
    optimizer adam(lr: 2e-4, beta1: 0.5, beta2: 0.999)
    init normal(0, 0.02)
    ema G: 0.99
    sample G(z)
}
