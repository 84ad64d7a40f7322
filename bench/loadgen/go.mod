module switchyard.local/benchtool

go 1.22
